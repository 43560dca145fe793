import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { defaultTrace } from '../../index.js';
import { TollgateError } from '../../index.js';
import { formatTraceLine, generateTrace, openTrace, type TraceFormat, type TraceRequest } from '../../offline/trace/index.js';
import { PlaygroundHttpError, badRequest, notFound } from './errors.js';

/** A trace the playground can simulate: the bundled one, an upload or a generated one. */
export interface TraceEntry {
  id: string;
  name: string;
  source: 'bundled' | 'upload' | 'generated';
  file: string;
  format: TraceFormat;
  requests: number;
  skipped: number;
  /** Malformed rows (1-based physical line numbers), at most the reader's cap. */
  issues: { line: number; reason: string }[];
  bytes: number;
}

export interface GenerateKnobs {
  seed: number;
  requests: number;
  tenants: number;
}

/** Largest generated trace (requests). */
export const MAX_GENERATED_REQUESTS = 200_000;
/** How many uploaded/generated traces are kept (oldest dropped first). */
const MAX_KEPT = 20;

/**
 * Traces known to this server, stored as files in a private temporary folder so the simulation
 * reads them with the same readers and importers as the CLI.
 */
export class TraceStore {
  private readonly entries = new Map<string, TraceEntry>();
  private dir: string | undefined;

  /** Registers the bundled trace (id `bundled`). */
  async init(): Promise<void> {
    this.dir = await mkdtemp(join(tmpdir(), 'tollgate-playground-'));
    const entry = await this.scan({ id: 'bundled', name: 'Bundled trace (examples/traces/default.jsonl)', source: 'bundled', file: defaultTrace() });
    this.entries.set(entry.id, entry);
  }

  list(): TraceEntry[] {
    return [...this.entries.values()];
  }

  get(id: string): TraceEntry {
    const e = this.entries.get(id);
    if (!e) throw notFound(`trace "${id}"`);
    return e;
  }

  /** Stores uploaded JSONL/CSV text; malformed rows are skipped and reported with their line numbers. */
  async upload(name: string, text: string): Promise<TraceEntry> {
    const id = `upload-${randomUUID().slice(0, 8)}`;
    const firstLine = text.replace(/^\uFEFF/, '').split(/\r?\n/).find((l) => l.trim() !== '');
    if (firstLine === undefined) throw badRequest('the uploaded trace is empty');
    const ext = firstLine.trimStart().startsWith('{') ? 'jsonl' : 'csv';
    const file = join(this.folder(), `${id}.${ext}`);
    await writeFile(file, text);
    return this.add({ id, name: name || id, source: 'upload', file });
  }

  /** Generates a seeded synthetic trace with the given knobs. */
  async generate(k: GenerateKnobs): Promise<TraceEntry> {
    const issues: { path: string; message: string }[] = [];
    if (!Number.isInteger(k.requests) || k.requests < 1 || k.requests > MAX_GENERATED_REQUESTS) issues.push({ path: 'requests', message: `must be an integer 1–${MAX_GENERATED_REQUESTS}` });
    if (!Number.isInteger(k.tenants) || k.tenants < 1 || k.tenants > 50) issues.push({ path: 'tenants', message: 'must be an integer 1–50' });
    if (!Number.isSafeInteger(k.seed)) issues.push({ path: 'seed', message: 'must be an integer' });
    if (issues.length) throw badRequest('invalid generator knobs', issues);
    const id = `gen-${randomUUID().slice(0, 8)}`;
    const file = join(this.folder(), `${id}.jsonl`);
    await writeLines(file, generateTrace({ seed: k.seed, requests: k.requests, tenants: k.tenants }));
    return this.add({ id, name: `Generated: seed ${k.seed}, ${k.requests} requests, ${k.tenants} tenants`, source: 'generated', file });
  }

  /** The first `limit` requests of a trace (malformed rows skipped), for the debug view. */
  async head(id: string, limit: number): Promise<TraceRequest[]> {
    const e = this.get(id);
    const out: TraceRequest[] = [];
    const source = await openTrace(e.file, { format: e.format, onError: 'skip', allowEmpty: true });
    for await (const r of source) {
      out.push(r);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** One request of a trace by id (streams the file; malformed rows skipped). */
  async find(id: string, requestId: string): Promise<TraceRequest | undefined> {
    const e = this.get(id);
    const source = await openTrace(e.file, { format: e.format, onError: 'skip', allowEmpty: true });
    for await (const r of source) if (r.id === requestId) return r;
    return undefined;
  }

  async close(): Promise<void> {
    if (this.dir) await rm(this.dir, { recursive: true, force: true });
  }

  private folder(): string {
    if (!this.dir) throw new Error('TraceStore.init() was not called');
    return this.dir;
  }

  private async add(base: Omit<TraceEntry, 'format' | 'requests' | 'skipped' | 'issues' | 'bytes'>): Promise<TraceEntry> {
    let entry: TraceEntry;
    try {
      entry = await this.scan(base);
    } catch (err) {
      await rm(base.file, { force: true });
      throw err;
    }
    if (entry.requests === 0) {
      await rm(base.file, { force: true });
      throw new PlaygroundHttpError(422, 'trace_empty', `no valid request in the trace (${entry.skipped} malformed rows)`, entry.issues.map((i) => ({ path: `line ${i.line}`, message: i.reason })));
    }
    this.entries.set(entry.id, entry);
    const dropped = [...this.entries.values()].filter((e) => e.source !== 'bundled');
    while (dropped.length > MAX_KEPT) {
      const old = dropped.shift()!;
      this.entries.delete(old.id);
      await rm(old.file, { force: true });
    }
    return entry;
  }

  /** Reads a whole trace once with the CLI's readers (skip mode) to count rows and collect bad lines. */
  private async scan(base: Omit<TraceEntry, 'format' | 'requests' | 'skipped' | 'issues' | 'bytes'>): Promise<TraceEntry> {
    let source;
    try {
      source = await openTrace(base.file, { onError: 'skip', allowEmpty: true });
      for await (const _ of source) void _;
    } catch (err) {
      if (err instanceof TollgateError) throw new PlaygroundHttpError(400, err.code, err.message.replace(base.file, base.name));
      throw err;
    }
    const { requests, skipped, issues } = source.stats;
    const bytes = (await stat(base.file)).size;
    return { ...base, format: source.format, requests, skipped, issues: issues.map((i) => ({ line: i.line, reason: i.reason })), bytes };
  }
}

async function writeLines(file: string, requests: Iterable<TraceRequest>): Promise<void> {
  const out = createWriteStream(file);
  for (const r of requests) {
    if (!out.write(`${formatTraceLine(r)}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}
