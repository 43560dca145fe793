import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { LanceDbStore } from '../../embeddings/lancedb-store.js';
import { vectorStoreContract } from '../../testing/index.js';

/** The exported VectorStore suite against LanceDB (a real database directory). */
const dir = mkdtempSync(join(tmpdir(), 'tg-vector-contract-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

vectorStoreContract('LanceDbStore', async ({ dimension, modelVersion }) => LanceDbStore.open({ dir, dimension, modelVersion }));
