import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of a file in test/fixtures/traces. */
export const fixture = (name: string): string => fileURLToPath(new URL(`../../fixtures/traces/${name}`, import.meta.url));

/** The real Azure conversation trace in ../shared (absent on a fresh clone without shared/). */
export const SHARED_AZURE_TRACE = fileURLToPath(new URL('../../../../shared/data/traces/AzureLLMInferenceTrace_conv_2023.csv', import.meta.url));

/** A fresh temporary folder for files a test writes. */
export const tempDir = (): string => mkdtempSync(join(tmpdir(), 'tollgate-trace-'));

/** Drains an async iterable into an array (tests only: traces stay streamed in the library). */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
