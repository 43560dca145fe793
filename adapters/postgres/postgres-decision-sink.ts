import { TollgateError } from '../../engine/errors.js';
import { type DecisionRecord, decisionRecordSchema } from '../../engine/decision-record.js';
import { feedbackRecordSchema, type FeedbackRecord } from '../../engine/feedback.js';
import type { DecisionSink } from '../../engine/seams/decision-sink.js';
import { COLUMNS, jsonSelect } from './decision-rows.js';
import { ROLLUP_SOURCE, rollupUpsert } from './rollup-sql.js';
import { InvalidDecisionRecordError } from './errors.js';
import { isPlainValidRecord } from './record-check.js';
import { migrate } from './migrations.js';
import { ensurePartitions } from './partitions.js';
import { ident, isTransient, openPool, type PgClient, type PgPool } from './pg-loader.js';

export interface PostgresDecisionSinkOptions {
  /** `postgres://user@host:5432/db`. */
  url: string;
  /** Schema holding the tables (created and migrated on open). Default `tollgate`. */
  schema?: string;
  /** Largest batch written in one statement (default 2,000 records). */
  maxBatch?: number;
  /** Batches written at once at most, each on its own connection (default 2). */
  concurrency?: number;
  /**
   * Adaptive batching: while a batch is in flight, another starts only once this many records are queued
   * or the one in flight has run {@link PARALLEL_AFTER_MS} ms (default 256 records). Under moderate load one writer
   * with larger batches means fewer round trips and COMMITs (less CPU in the gateway and in PostgreSQL);
   * under heavy load the queue grows past it and the writers run in parallel. 0: always start one.
   * Default 256 with durability `write`/`none`; 0 with `fsync`, where a COMMIT waits on the WAL flush and
   * two batches in flight share the flush wait rather than queue behind it.
   */
  parallelAfter?: number;
  /** How long a batch is retried across dropped connections before its appends fail (default 30 s). */
  retryForMs?: number;
  /** Apply migrations on open (default true; `false` only checks the version). */
  migrate?: boolean;
  applicationName?: string;
  /**
   * When an append resolves, as for the JSONL sink (docs/gateway.md, "Durability"): `fsync` (default) after a
   * COMMIT with `synchronous_commit = on` (the WAL flushed); `write` and `none` after a COMMIT with
   * `synchronous_commit = off`: in the server's memory, so it survives a crash of the gateway, and the WAL
   * writer flushes it within 3 × `wal_writer_delay` (600 ms by default) — what a crash of the PostgreSQL
   * server or a power loss can lose. PostgreSQL has no "written to the OS" level on a lone server.
   */
  durability?: 'fsync' | 'write' | 'none';
}

interface Pending {
  /** The validated record as JSON (what the JSONL sink would write) and its UTC day. */
  json?: string;
  day?: string;
  feedback?: FeedbackRecord;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * PostgreSQL {@link DecisionSink} with group commit. Records that arrive while a batch is being written
 * queue up and go together in the next one: one statement per batch (its own transaction) — `INSERT …
 * SELECT FROM jsonb_array_elements($1)`, the batch sent as one JSON text — into the day-partitioned `decisions` table (ON CONFLICT DO NOTHING: idempotent on
 * request id + day) chained to one batched upsert of the per-day rollups, counting only the rows that
 * were new. At most `concurrency` batches are in flight; a second starts only for a long queue or a batch
 * stuck past {@link PARALLEL_AFTER_MS} (adaptive: fewer, larger batches at moderate load). `append` resolves only after the COMMIT of the batch holding its record — the same promise
 * the JSONL sink makes with fdatasync. A batch that fails on a dropped connection (or a deadlock) is
 * retried on a fresh one; idempotent inserts make the retry safe when the COMMIT's reply was lost.
 * A record that fails the schema is rejected at `append` ({@link InvalidDecisionRecordError}) and never sent.
 * Open with {@link PostgresDecisionSink.open}: it loads `pg`, connects, and migrates.
 */
export class PostgresDecisionSink implements DecisionSink {
  /** The seam specification this implementation was written against (engine/seams/specification.ts). */
  readonly specificationVersion = 'v1' as const;
  private queue: Pending[] = [];
  private running = 0;
  /** When the latest batch in flight started (performance.now()). */
  private lastStart = 0;
  private rekick: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  private idle: (() => void)[] = [];
  private readonly s: string;
  private readonly insertSql: string;
  private readonly knownDays = new Set<string>();

  private constructor(readonly pool: PgPool, readonly schema: string, private readonly options: PostgresDecisionSinkOptions) {
    this.s = ident(schema);
    this.insertSql = batchSql(this.s);
  }

  /** Connects (one clear `db_unavailable` error when it cannot), migrates, and returns the sink. */
  static async open(options: PostgresDecisionSinkOptions): Promise<PostgresDecisionSink> {
    const schema = options.schema ?? 'tollgate';
    ident(schema);
    const pool = await openPool(options.url, { max: (options.concurrency ?? 2) + 1, applicationName: options.applicationName ?? 'tollgate-sink', synchronousCommit: (options.durability ?? 'fsync') === 'fsync' ? 'on' : 'off' });
    try {
      if (options.migrate !== false) await migrate(pool, schema);
      else {
        const { assertSchemaCurrent } = await import('./schema-check.js');
        await assertSchemaCurrent(pool, schema);
      }
      const sink = new PostgresDecisionSink(pool, schema, options);
      const today = new Date();
      await ensurePartitions(pool, schema, [isoDay(today), isoDay(new Date(today.getTime() + 86_400_000))], sink.knownDays);
      return sink;
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
  }

  append(record: DecisionRecord): Promise<void> {
    if (this.closed) return Promise.reject(new TollgateError('sink_closed', `Decision log (PostgreSQL ${this.schema}) is closed`));
    let item: Pending;
    if ((record as unknown as { kind?: string }).kind === 'prompt') return Promise.resolve(); // prompt capture is for the JSONL log (policies/schema.ts `log`)
    if ((record as unknown as { kind?: string }).kind === 'feedback') {
      const f = feedbackRecordSchema.safeParse(record);
      if (!f.success) return Promise.reject(new InvalidDecisionRecordError(issues(f.error), (record as { requestId?: string }).requestId));
      item = { feedback: f.data, resolve: noop, reject: noop };
    } else {
      // The common case (a record as the engine builds it) is checked without zod's copy; zod decides the rest.
      const r = isPlainValidRecord(record) ? { success: true as const, data: record } : decisionRecordSchema.safeParse(record);
      if (!r.success) return Promise.reject(new InvalidDecisionRecordError(issues(r.error), (record as { requestId?: string })?.requestId));
      if (!ISO_TIME.test(r.data.time) || Number.isNaN(Date.parse(r.data.time))) return Promise.reject(new InvalidDecisionRecordError(`time: not an ISO 8601 UTC time ("${r.data.time.slice(0, 40)}")`, r.data.requestId));
      // PostgreSQL text and jsonb cannot hold U+0000 (a vendor's error message might): it becomes U+FFFD.
      const json = JSON.stringify(r.data);
      item = { json: json.includes('\\u0000') ? json.replaceAll('\\u0000', '\\ufffd') : json, day: r.data.time.slice(0, 10), resolve: noop, reject: noop };
    }
    return new Promise<void>((resolve, reject) => {
      item.resolve = resolve;
      item.reject = reject;
      this.queue.push(item);
      if (this.running === 0) setImmediate(() => this.kick());
      else this.kick();
    });
  }

  /** Starts batches while there is work and a free slot (a second one only when the queue or the batch in flight calls for it). */
  private kick(): void {
    const max = this.options.concurrency ?? 2;
    const after = this.options.parallelAfter ?? ((this.options.durability ?? 'fsync') === 'fsync' ? 0 : 256);
    while (this.queue.length > 0 && this.running < max) {
      const waited = performance.now() - this.lastStart;
      if (this.running > 0 && this.queue.length < after && waited < PARALLEL_AFTER_MS) {
        if (!this.rekick) this.rekick = setTimeout(() => ((this.rekick = undefined), this.kick()), PARALLEL_AFTER_MS - waited + 1);
        return;
      }
      const batch = this.queue.splice(0, this.options.maxBatch ?? 2000);
      this.running++;
      this.lastStart = performance.now();
      void this.write(batch).finally(() => {
        this.running--;
        if (this.queue.length) this.kick();
        else if (this.running === 0) for (const f of this.idle.splice(0)) f();
      });
    }
  }

  private async write(batch: Pending[]): Promise<void> {
    const rows = batch.flatMap((b) => (b.json ? [b.json] : []));
    const feedback = batch.flatMap((b) => (b.feedback ? [b.feedback] : []));
    const days = [...new Set(batch.flatMap((b) => (b.day ? [b.day] : [])))];
    const payload = rows.length ? `[${rows.join(',')}]` : '';
    const deadline = Date.now() + (this.options.retryForMs ?? 30_000);
    for (let attempt = 0; ; attempt++) {
      let client: PgClient | undefined;
      try {
        await ensurePartitions(this.pool, this.schema, days, this.knownDays);
        client = await this.pool.connect();
        // Records only: one statement, its own transaction (one round trip, committed when it returns).
        const both = rows.length > 0 && feedback.length > 0;
        if (both) await client.query('BEGIN');
        if (rows.length) await client.query({ name: `tollgate-insert-${this.schema}`, text: this.insertSql, values: [payload] });
        if (feedback.length)
          await client.query(
            `INSERT INTO ${this.s}.feedback (request_id, time, score) SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::float8[]) ON CONFLICT DO NOTHING`,
            [feedback.map((f) => f.requestId), feedback.map((f) => f.time), feedback.map((f) => f.score)],
          );
        if (both) await client.query('COMMIT');
        client.release();
        for (const b of batch) b.resolve();
        return;
      } catch (err) {
        const transient = isTransient(err) || isMissingPartition(err);
        if (client) {
          if (transient) client.release(err as Error);
          else {
            await client.query('ROLLBACK').catch(() => undefined);
            client.release();
          }
        }
        if (isMissingPartition(err)) this.knownDays.clear();
        if (!transient && batch.length > 1) {
          // A record the database refuses must not take its batch down with it: halve until it stands alone.
          const half = batch.length >> 1;
          await this.write(batch.slice(0, half));
          await this.write(batch.slice(half));
          return;
        }
        if (!transient || Date.now() > deadline || (this.closed && attempt > 3)) {
          const e = new TollgateError('decision_log_write_failed', `Cannot write ${rows.length + feedback.length} decision records to PostgreSQL (${this.schema}): ${(err as Error).message}`, { schema: this.schema }, { cause: err });
          for (const b of batch) b.reject(e);
          return;
        }
        await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** attempt)));
      }
    }
  }

  /** Resolves once every append made so far is committed (or failed). */
  async flush(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return;
    await new Promise<void>((r) => this.idle.push(r));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flush();
    await this.pool.end();
  }
}

/** The batch statement: insert the new rows, then add exactly those to their day's rollups (one upsert per group, in key order). */
function batchSql(s: string): string {
  const cols = COLUMNS.map(([n]) => n).join(', ');
  return `WITH ins AS (
    INSERT INTO ${s}.decisions (${cols}) ${jsonSelect()}
    ON CONFLICT DO NOTHING
    RETURNING ${ROLLUP_SOURCE}
  )
  ${rollupUpsert(s, 'ins')}`;
}

/** A batch in flight this long lets the next one start however short the queue (bounds an answer's wait on a slow COMMIT). */
export const PARALLEL_AFTER_MS = 20;

const noop = (): void => undefined;

const isMissingPartition = (err: unknown): boolean => (err as { code?: string })?.code === '23514' && /no partition/i.test((err as Error).message);

const isoDay = (d: Date): string => d.toISOString().slice(0, 10);
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function issues(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  return error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
}
