/**
 * {@link VectorStore} on LanceDB (embedded, a local directory): one table per (namespace, model version),
 * rows keyed by (tenant, content hash), insert-if-absent via `mergeInsert`, tenant filter applied as a
 * prefilter inside every query, an IVF-PQ index built once a table passes `annThreshold` rows.
 */
import type * as lancedb from '@lancedb/lancedb';
import type * as Arrow from 'apache-arrow';
import { createHash } from 'node:crypto';
import { VectorDimensionMismatchError } from './errors.js';
import type { VectorMatch, VectorQuery, VectorRecord, VectorStore } from './vector-store.js';
import { loadApacheArrow, loadLanceDb, type ArrowModule, type LanceDbModule } from './optional-packages.js';

/** apache-arrow, loaded by {@link LanceDbStore.open} (an optional peer, like LanceDB itself) before any use below. */
let arrow: ArrowModule;

export interface LanceDbStoreOptions {
  /** Directory of the LanceDB database. */
  dir: string;
  modelVersion: string;
  dimension: number;
  /** Build the ANN index when a table reaches this many rows. Default 100,000 (flat search is exact and fast below). */
  annThreshold?: number;
}

/** SQL string literal: single quotes doubled (DataFusion treats backslashes literally). */
export function sqlString(value: string): string {
  if (value.includes('\0')) throw new TypeError('NUL is not allowed in a filter value');
  return `'${value.replaceAll("'", "''")}'`;
}

const slug = (s: string): string => s.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 60);

/** Table name for a (namespace, model version) pair: readable, and collision-free via a hash suffix. */
export function tableName(namespace: string, modelVersion: string): string {
  const digest = createHash('sha256').update(`${namespace}\0${modelVersion}`).digest('hex').slice(0, 10);
  return `${slug(namespace)}__${slug(modelVersion)}__${digest}`;
}

function rowSchema(dimension: number): Arrow.Schema {
  return new arrow.Schema([
    new arrow.Field('key', new arrow.Utf8(), false),
    new arrow.Field('tenant', new arrow.Utf8(), false),
    new arrow.Field('namespace', new arrow.Utf8(), false),
    new arrow.Field('hash', new arrow.Utf8(), false),
    new arrow.Field('id', new arrow.Utf8(), false),
    new arrow.Field('text', new arrow.Utf8(), false),
    new arrow.Field('vector', new arrow.FixedSizeList(dimension, new arrow.Field('item', new arrow.Float32(), true)), false),
  ]);
}

/** A Utf8 column built in one pass (arrow's generic builder is ~10× slower for bulk strings). */
function utf8Vector(values: string[]): Arrow.Vector<Arrow.Utf8> {
  const valueOffsets = new Int32Array(values.length + 1);
  for (let i = 0; i < values.length; i++) valueOffsets[i + 1] = valueOffsets[i] + Buffer.byteLength(values[i], 'utf8');
  const bytes = Buffer.from(values.join(''), 'utf8');
  const data = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return arrow.makeVector(arrow.makeData({ type: new arrow.Utf8(), length: values.length, nullCount: 0, valueOffsets, data }));
}

/** Attempts of one write against concurrent writers' commits. */
const CONFLICT_RETRIES = 8;
/** Attempts to open a table another writer is creating (10, 20, … ms apart: about 2 s in all). */
const OPEN_RETRIES = 20;

export class LanceDbStore implements VectorStore {
  readonly specificationVersion = 'v1' as const;
  private readonly tables = new Map<string, Promise<{ table: lancedb.Table; indexed: boolean }>>();
  private readonly schema: Arrow.Schema;
  private readonly annThreshold: number;

  private constructor(private readonly lance: LanceDbModule, private readonly db: lancedb.Connection, readonly modelVersion: string, readonly dimension: number, annThreshold: number) {
    this.schema = rowSchema(dimension);
    this.annThreshold = annThreshold;
  }

  static async open(options: LanceDbStoreOptions): Promise<LanceDbStore> {
    const lance = await loadLanceDb();
    arrow = await loadApacheArrow();
    const db = await lance.connect(options.dir);
    return new LanceDbStore(lance, db, options.modelVersion, options.dimension, options.annThreshold ?? 100_000);
  }

  /** Opens (or creates) the namespace's table, checking an existing table's vector dimension. */
  private table(namespace: string): Promise<{ table: lancedb.Table; indexed: boolean }> {
    const name = tableName(namespace, this.modelVersion);
    let entry = this.tables.get(name);
    if (!entry) {
      entry = (async () => {
        const exists = (await this.db.tableNames()).includes(name);
        const table = exists ? await this.openWhenReady(name) : await this.createOrOpen(name);
        const field = (await table.schema()).fields.find((f) => f.name === 'vector');
        const actual = field && arrow.DataType.isFixedSizeList(field.type) ? (field.type as Arrow.FixedSizeList).listSize : -1;
        if (actual !== this.dimension) throw new VectorDimensionMismatchError(name, actual, this.dimension);
        const indexed = (await table.listIndices()).some((i) => i.columns.includes('vector'));
        return { table, indexed };
      })();
      this.tables.set(name, entry);
      entry.catch(() => this.tables.delete(name));
    }
    return entry;
  }

  /**
   * Creates the table, or opens it when another writer (a worker in another process) created it first.
   * Not `existOk`: in this LanceDB version a create that loses that race commits an Overwrite, which
   * fails the other writer's concurrent inserts and could drop rows already committed.
   */
  private async createOrOpen(name: string): Promise<lancedb.Table> {
    try {
      return await this.db.createEmptyTable(name, this.schema, { mode: 'create' });
    } catch (err) {
      // Lost the race: the table exists, or another writer's create committed while this one's was in
      // flight ("Retryable commit conflict … Overwrite transaction was preempted": this one committed nothing).
      if (!/already exists|commit conflict/i.test((err as Error).message)) throw err;
    }
    return this.openWhenReady(name);
  }

  /** Opens a table, waiting while another writer that is creating it has not yet written its first version. */
  private async openWhenReady(name: string): Promise<lancedb.Table> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.openTable(name);
      } catch (err) {
        if (attempt >= OPEN_RETRIES || !/could not be loaded|not found/i.test((err as Error).message)) throw err;
        await new Promise((r) => setTimeout(r, 10 * attempt));
      }
    }
  }

  /**
   * Runs a write, and when another writer committed first in a way this one cannot be rebased over
   * (LanceDB's commit conflict), moves the table to its latest version and runs it again. Safe for
   * insert-if-absent writes, which are idempotent.
   */
  private async retryOnConflict<T>(table: lancedb.Table, write: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await write();
      } catch (err) {
        if (attempt >= CONFLICT_RETRIES || !/incompatible transaction|commit conflict|retryable/i.test((err as Error).message)) throw err;
        await table.checkoutLatest();
        await new Promise((r) => setTimeout(r, 5 * attempt));
      }
    }
  }

  private checkDimension(namespace: string, vector: Float32Array): void {
    if (vector.length !== this.dimension) throw new VectorDimensionMismatchError(tableName(namespace, this.modelVersion), this.dimension, vector.length);
  }

  private toArrow(records: VectorRecord[]): Arrow.Table {
    const flat = new Float32Array(records.length * this.dimension);
    records.forEach((r, i) => flat.set(r.vector, i * this.dimension));
    const strings = (pick: (r: VectorRecord) => string): Arrow.Vector => utf8Vector(records.map(pick));
    const listType = this.schema.fields[6].type as Arrow.FixedSizeList<Arrow.Float32>;
    const child = arrow.makeData({ type: new arrow.Float32(), length: flat.length, data: flat });
    const vectors = arrow.makeVector(arrow.makeData({ type: listType, length: records.length, nullCount: 0, child }));
    const columns = {
      key: strings((r) => `${r.tenant}\0${r.hash}`),
      tenant: strings((r) => r.tenant),
      namespace: strings((r) => r.namespace),
      hash: strings((r) => r.hash),
      id: strings((r) => r.id ?? r.hash),
      text: strings((r) => r.text ?? ''),
      vector: vectors,
    };
    const batch = new arrow.RecordBatch(this.schema, arrow.makeData({
      type: new arrow.Struct(this.schema.fields),
      length: records.length,
      nullCount: 0,
      children: this.schema.fields.map((f) => columns[f.name as keyof typeof columns].data[0]),
    }));
    return new arrow.Table([batch]);
  }

  async upsert(records: VectorRecord[]): Promise<{ inserted: number }> {
    const byNamespace = new Map<string, VectorRecord[]>();
    for (const r of records) {
      this.checkDimension(r.namespace, r.vector);
      byNamespace.set(r.namespace, [...(byNamespace.get(r.namespace) ?? []), r]);
    }
    let inserted = 0;
    for (const [namespace, rows] of byNamespace) {
      const unique = [...new Map(rows.map((r) => [`${r.tenant}\0${r.hash}`, r])).values()];
      const entry = await this.table(namespace);
      const data = this.toArrow(unique);
      const result = await this.retryOnConflict(entry.table, () => entry.table.mergeInsert('key').whenNotMatchedInsertAll().execute(data));
      inserted += result.numInsertedRows;
      if (!entry.indexed && (await entry.table.countRows()) >= this.annThreshold) await this.buildAnnIndex(namespace);
    }
    return { inserted };
  }

  /** Builds the IVF-PQ vector index and a bitmap index on tenant now (normally done at `annThreshold`). */
  async buildAnnIndex(namespace: string): Promise<void> {
    const entry = await this.table(namespace);
    await entry.table.createIndex('vector', { config: this.lance.Index.ivfPq({ distanceType: 'cosine' }) });
    await entry.table.createIndex('tenant', { config: this.lance.Index.bitmap() });
    entry.indexed = true;
  }

  async search(query: VectorQuery): Promise<VectorMatch[]> {
    this.checkDimension(query.namespace, query.vector);
    const { table, indexed } = await this.table(query.namespace);
    let search = table.vectorSearch(query.vector).distanceType('cosine');
    // With the IVF-PQ index: probe widely (the tenant prefilter thins partitions) and re-rank exactly.
    if (indexed) search = search.nprobes(64).refineFactor(10);
    const rows = (await search
      .where(`tenant = ${sqlString(query.tenant)} AND namespace = ${sqlString(query.namespace)}`)
      .select(['tenant', 'namespace', 'hash', 'id', 'text', '_distance'])
      .limit(query.k ?? 10)
      .toArray()) as Array<{ tenant: string; namespace: string; hash: string; id: string; text: string; _distance: number }>;
    return rows
      .filter((r) => r.tenant === query.tenant && r.namespace === query.namespace) // defence in depth
      .map((r) => ({ tenant: r.tenant, namespace: r.namespace, hash: r.hash, id: r.id, text: r.text, score: 1 - r._distance }))
      .filter((m) => query.minScore === undefined || m.score >= query.minScore);
  }

  async existingHashes(tenant: string, namespace: string, hashes: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    if (hashes.length === 0) return found;
    const { table } = await this.table(namespace);
    for (let start = 0; start < hashes.length; start += 1000) {
      const list = hashes.slice(start, start + 1000).map(sqlString).join(', ');
      const rows = (await table.query().where(`tenant = ${sqlString(tenant)} AND hash IN (${list})`).select(['tenant', 'hash']).toArray()) as Array<{ tenant: string; hash: string }>;
      for (const r of rows) if (r.tenant === tenant) found.add(r.hash);
    }
    return found;
  }

  /** Whether the namespace's table has its ANN index yet. */
  async hasAnnIndex(namespace: string): Promise<boolean> {
    return (await this.table(namespace)).indexed;
  }

  async count(namespace: string, tenant?: string): Promise<number> {
    const { table } = await this.table(namespace);
    return table.countRows(tenant === undefined ? undefined : `tenant = ${sqlString(tenant)}`);
  }

  async close(): Promise<void> {
    for (const entry of this.tables.values()) (await entry).table.close();
    this.tables.clear();
    this.db.close();
  }
}
