import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import type { DecisionRecord } from '../../engine/decision-record.js';
import type { Reservation } from '../../engine/seams/budget-store.js';
import type { BatchJobState } from './batch-job-machine.js';

/** One deferred request inside a job. */
export interface BatchLine {
  /** The vendor's `custom_id`: the request id. */
  customId: string;
  tenant: string;
  /** The policy's model id, and the upstream model name sent. */
  model: string;
  upstreamModel: string;
  messages: { role: string; content: string }[];
  maxOutputTokens: number;
  /** Epoch ms the request was deferred, and the latest it may settle (`deferrable.within`). */
  deferredAt: number;
  deadline: number;
  /** The request's tags and routing rule, kept on its record. */
  tags?: string[];
  rule?: string;
  /** The budget hold taken at submission (engine path), handed back when the line settles. */
  reservation?: Reservation;
}

/** A settled line as kept with its job: its record and answer, so it stays retrievable by request id. */
export interface BatchLineResult {
  record: DecisionRecord;
  text?: string;
  finishReason?: string;
}

export interface BatchJob {
  id: string;
  vendor: 'openai' | 'anthropic';
  /** The model all lines go to (one job per model). */
  model: string;
  state: BatchJobState;
  lines: BatchLine[];
  createdAt: number;
  /** When `submitting` began (the vendor may have the batch without its id saved here). */
  submittingAt?: number;
  vendorBatchId?: string;
  /** Issues found settling: unknown ids, malformed lines (reported, never settled). */
  issues?: string[];
  /** How the vendor's batch ended (kept once the job is `settled`). */
  ended?: 'completed' | 'expired' | 'failed';
  /** Settled lines by request id (lines a restarted process found already logged are not here). */
  results?: Record<string, BatchLineResult>;
}

/** Where batch jobs persist; every `save` is durable before it returns. One process owns a store. */
export interface BatchJobStore {
  all(): BatchJob[];
  get(id: string): BatchJob | undefined;
  save(job: BatchJob): void;
}

/**
 * Batch jobs persisted in one JSON file (next to the decision log), replaced atomically on every save
 * (written to a temporary file, fsync'd, renamed), so a process killed at any point leaves the last
 * saved state. One process owns the file.
 */
export class FileBatchJobStore implements BatchJobStore {
  private jobs = new Map<string, BatchJob>();

  constructor(readonly path: string) {
    let text: string | undefined;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (text) for (const j of JSON.parse(text) as BatchJob[]) this.jobs.set(j.id, j);
  }

  all(): BatchJob[] {
    return [...this.jobs.values()];
  }

  get(id: string): BatchJob | undefined {
    return this.jobs.get(id);
  }

  save(job: BatchJob): void {
    this.jobs.set(job.id, job);
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify([...this.jobs.values()]));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
  }
}
