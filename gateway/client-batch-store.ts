import { randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ClientBatchStatus } from './client-batch-machine.js';

/** A file as `/v1/files` shows it (OpenAI's `file` object). */
export interface FileObject {
  id: string;
  object: 'file';
  bytes: number;
  created_at: number;
  filename: string;
  /** `batch` (uploaded input) or `batch_output` (a batch's output or error file). */
  purpose: 'batch' | 'batch_output';
  status: 'processed';
}

/** A batch as `/v1/batches` shows it (OpenAI's `batch` object). */
export interface BatchObject {
  id: string;
  object: 'batch';
  endpoint: string;
  input_file_id: string;
  completion_window: string;
  status: ClientBatchStatus;
  created_at: number;
  expires_at: number;
  in_progress_at?: number;
  finalizing_at?: number;
  completed_at?: number;
  failed_at?: number;
  expired_at?: number;
  cancelling_at?: number;
  cancelled_at?: number;
  output_file_id?: string;
  error_file_id?: string;
  errors?: { object: 'list'; data: { code: string; message: string; param: string | null; line: number | null }[] };
  request_counts: { total: number; completed: number; failed: number };
  usage: { input_tokens: number; input_tokens_details: { cached_tokens: number }; output_tokens: number; output_tokens_details: { reasoning_tokens: number }; total_tokens: number };
  metadata: Record<string, string> | null;
}

/** What the store keeps about a batch: the object, its owner and the tags its lines carry. */
export interface BatchEntry {
  tenant: string;
  tags?: string[];
  batch: BatchObject;
}

interface FileEntry {
  tenant: string;
  file: FileObject;
}

/** Where the store's blobs live: a directory (survives a restart) or memory. */
interface Blobs {
  put(name: string, data: string | Buffer): void;
  append(name: string, data: string): void;
  get(name: string): Buffer | undefined;
  remove(name: string): void;
  names(folder: string): string[];
  /** Takes `name` for this process unless a live other process holds it. */
  claim(name: string): boolean;
}

class MemoryBlobs implements Blobs {
  private readonly m = new Map<string, Buffer>();
  put(name: string, data: string | Buffer): void {
    this.m.set(name, Buffer.from(data));
  }
  append(name: string, data: string): void {
    this.m.set(name, Buffer.concat([this.m.get(name) ?? Buffer.alloc(0), Buffer.from(data)]));
  }
  get(name: string): Buffer | undefined {
    return this.m.get(name);
  }
  remove(name: string): void {
    this.m.delete(name);
  }
  names(folder: string): string[] {
    return [...this.m.keys()].filter((k) => k.startsWith(`${folder}/`)).map((k) => k.slice(folder.length + 1));
  }
  claim(): boolean {
    return true; // one process owns memory
  }
}

/** Files under a directory; whole-blob writes are atomic (temporary file, fsync, rename), appends are `O_APPEND` writes. */
class DirectoryBlobs implements Blobs {
  constructor(private readonly dir: string) {
    for (const f of ['files', 'batches']) mkdirSync(join(dir, f), { recursive: true });
  }
  put(name: string, data: string | Buffer): void {
    const path = join(this.dir, name);
    const tmp = `${path}.${process.pid}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  }
  append(name: string, data: string): void {
    appendFileSync(join(this.dir, name), data);
  }
  get(name: string): Buffer | undefined {
    try {
      return readFileSync(join(this.dir, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }
  remove(name: string): void {
    rmSync(join(this.dir, name), { force: true });
  }
  names(folder: string): string[] {
    return readdirSync(join(this.dir, folder)).filter((n) => !n.endsWith('.tmp'));
  }
  claim(name: string): boolean {
    const path = join(this.dir, name);
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number(readFileSync(path, 'utf8'));
    if (holder !== process.pid && Number.isInteger(holder) && holder > 0 && alive(holder)) return false;
    writeFileSync(path, String(process.pid)); // a stale lock of a process that is gone
    return true;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let lastIdMs = 0;
/**
 * A new id: 12 hex digits of a strictly increasing millisecond stamp, then 12 random ones — so ids sort
 * in creation order and lists are newest first even within one second of `created_at`.
 */
const newId = (prefix: string): string => {
  lastIdMs = Math.max(Date.now(), lastIdMs + 1);
  return `${prefix}${lastIdMs.toString(16).padStart(12, '0')}${randomBytes(6).toString('hex')}`;
};
const nowSeconds = (ms: number): number => Math.floor(ms / 1000);

/**
 * Client batches' files and state (`/v1/files`, `/v1/batches`): in `dir` (next to the decision log;
 * `files/<id>.json` + `files/<id>.data`, `batches/<id>.json` replaced atomically on every change, and the
 * batch's results appended line by line to `batches/<id>.output.jsonl` / `.errors.jsonl` while it runs),
 * or in memory without one. Every read takes the caller's tenant: another tenant's id is `undefined` (404).
 */
export class ClientBatchStore {
  private readonly blobs: Blobs;

  constructor(dir?: string, private readonly clock: () => number = Date.now) {
    this.blobs = dir ? new DirectoryBlobs(dir) : new MemoryBlobs();
  }

  now(): number {
    return this.clock();
  }

  /** Stores an uploaded (or produced) file for `tenant`. */
  addFile(tenant: string, filename: string, purpose: FileObject['purpose'], data: Buffer): FileObject {
    const file: FileObject = { id: newId('file-'), object: 'file', bytes: data.length, created_at: nowSeconds(this.clock()), filename, purpose, status: 'processed' };
    this.blobs.put(`files/${file.id}.data`, data);
    this.blobs.put(`files/${file.id}.json`, JSON.stringify({ tenant, file } satisfies FileEntry));
    return file;
  }

  /** The tenant's file, or `undefined` (unknown, or another tenant's). */
  file(tenant: string, id: string): FileObject | undefined {
    if (!/^file-[0-9a-f]{24}$/.test(id)) return undefined;
    const raw = this.blobs.get(`files/${id}.json`);
    if (!raw) return undefined;
    const e = JSON.parse(raw.toString('utf8')) as FileEntry;
    return e.tenant === tenant ? e.file : undefined;
  }

  fileContent(tenant: string, id: string): Buffer | undefined {
    return this.file(tenant, id) ? this.blobs.get(`files/${id}.data`) : undefined;
  }

  /** The tenant's files, newest first. */
  files(tenant: string): FileObject[] {
    return this.entries<FileEntry>('files').filter((e) => e.tenant === tenant).map((e) => e.file).sort(newestFirst);
  }

  deleteFile(tenant: string, id: string): boolean {
    if (!this.file(tenant, id)) return false;
    this.blobs.remove(`files/${id}.json`);
    this.blobs.remove(`files/${id}.data`);
    return true;
  }

  /** A new batch in `validating`, saved. */
  createBatch(tenant: string, o: { endpoint: string; inputFileId: string; completionWindowMs: number; completionWindow: string; metadata: Record<string, string> | null; tags?: string[] }): BatchEntry {
    const at = this.clock();
    const batch: BatchObject = {
      id: newId('batch_'), object: 'batch', endpoint: o.endpoint, input_file_id: o.inputFileId, completion_window: o.completionWindow, status: 'validating',
      created_at: nowSeconds(at), expires_at: nowSeconds(at + o.completionWindowMs),
      request_counts: { total: 0, completed: 0, failed: 0 },
      usage: { input_tokens: 0, input_tokens_details: { cached_tokens: 0 }, output_tokens: 0, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 0 },
      metadata: o.metadata,
    };
    const entry: BatchEntry = { tenant, ...(o.tags?.length && { tags: o.tags }), batch };
    this.saveBatch(entry);
    return entry;
  }

  saveBatch(entry: BatchEntry): void {
    this.blobs.put(`batches/${entry.batch.id}.json`, JSON.stringify(entry));
  }

  /** The tenant's batch, or `undefined` (unknown, or another tenant's). */
  batch(tenant: string, id: string): BatchEntry | undefined {
    const e = this.batchEntry(id);
    return e && e.tenant === tenant ? e : undefined;
  }

  /** A batch whoever owns it (the runner's view). */
  batchEntry(id: string): BatchEntry | undefined {
    if (!/^batch_[0-9a-f]{24}$/.test(id)) return undefined;
    const raw = this.blobs.get(`batches/${id}.json`);
    return raw ? (JSON.parse(raw.toString('utf8')) as BatchEntry) : undefined;
  }

  /** The tenant's batches, newest first. */
  batches(tenant: string): BatchObject[] {
    return this.allBatches().filter((e) => e.tenant === tenant).map((e) => e.batch).sort(newestFirst);
  }

  allBatches(): BatchEntry[] {
    return this.entries<BatchEntry>('batches');
  }

  /**
   * Makes this process the one that runs a batch (a lock file `batches/<id>.lock` holding its pid; a lock
   * of a process that is gone is taken over). False while another live process (a `--workers` sibling) runs it.
   */
  claimBatch(id: string): boolean {
    return this.blobs.claim(`batches/${id}.lock`);
  }

  releaseBatch(id: string): void {
    this.blobs.remove(`batches/${id}.lock`);
  }

  /** Appends one result line to a running batch's output (`ok`) or error part. */
  appendResult(batchId: string, part: 'output' | 'errors', line: string): void {
    this.blobs.append(`batches/${batchId}.${part}.jsonl`, `${line}\n`);
  }

  /** The result lines written so far (a torn last line, from a crash mid-write, is dropped and cut off). */
  results(batchId: string, part: 'output' | 'errors'): string[] {
    const name = `batches/${batchId}.${part}.jsonl`;
    const text = this.blobs.get(name)?.toString('utf8') ?? '';
    const lines = text.split('\n');
    const tail = lines.pop() ?? '';
    if (tail !== '') this.blobs.put(name, lines.map((l) => `${l}\n`).join(''));
    return lines.filter((l) => l !== '');
  }

  /** A `batch_output` file of the tenant's with a batch's result part; `undefined` when the part is empty. */
  publishResults(entry: BatchEntry, part: 'output' | 'errors'): FileObject | undefined {
    const lines = this.results(entry.batch.id, part);
    if (lines.length === 0) return undefined;
    return this.addFile(entry.tenant, `${entry.batch.id}_${part === 'output' ? 'output' : 'error'}.jsonl`, 'batch_output', Buffer.from(lines.map((l) => `${l}\n`).join('')));
  }

  /** Removes a result part (once its published file's id is saved). */
  dropResults(batchId: string, part: 'output' | 'errors'): void {
    this.blobs.remove(`batches/${batchId}.${part}.jsonl`);
  }

  private entries<T>(folder: 'files' | 'batches'): T[] {
    const out: T[] = [];
    for (const n of this.blobs.names(folder)) {
      if (!/^(file-|batch_)[0-9a-f]{24}\.json$/.test(n)) continue;
      const raw = this.blobs.get(`${folder}/${n}`);
      if (raw) out.push(JSON.parse(raw.toString('utf8')) as T);
    }
    return out;
  }
}

const newestFirst = (a: { created_at: number; id: string }, b: { created_at: number; id: string }): number => b.created_at - a.created_at || (a.id < b.id ? 1 : -1);

/** A cursor page in OpenAI's list shape (`after`: the last id of the previous page). */
export function listPage<T extends { id: string }>(items: T[], q: { after?: string; limit: number }): { object: 'list'; data: T[]; first_id: string | null; last_id: string | null; has_more: boolean } {
  const from = q.after === undefined ? 0 : items.findIndex((i) => i.id === q.after) + 1;
  const data = items.slice(from, from + q.limit);
  return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: from + q.limit < items.length };
}
