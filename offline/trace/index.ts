/**
 * Request traces: the JSONL trace format, streaming readers and importers (Tollgate JSONL,
 * BurstGPT CSV, Azure LLM inference CSV), a seeded synthetic-trace generator and a writer.
 * See docs/trace-format.md.
 */
export { TRACE_TASKS, TraceRequestSchema, TraceMessageSchema, TraceTimestampSchema } from './schema.js';
export type { TraceTask, TraceRequest, TraceRequestInput, ParsedTraceRequest, TraceMessage } from './schema.js';
export { TraceRowError, TraceNotFoundError, TraceFormatError, TraceEmptyError } from './errors.js';
export { emptyTraceStats, MAX_KEPT_ISSUES } from './read-options.js';
export type { TraceReadOptions, TraceReadStats, OnRowError } from './read-options.js';
export { readTrace, parseTraceLine } from './read-jsonl.js';
export { readTraceInWorker, readTraceBatchesInWorker } from './read-jsonl-worker.js';
export { importBurstGpt, BURSTGPT_COLUMNS, BURSTGPT_DEFAULT_START } from './import-burstgpt.js';
export type { BurstGptImportOptions } from './import-burstgpt.js';
export { importAzureTrace, AZURE_COLUMNS } from './import-azure.js';
export type { AzureImportOptions } from './import-azure.js';
export { openTrace, detectTraceFormat, TRACE_FORMATS, WORKER_MIN_BYTES } from './open-trace.js';
export type { OpenTraceOptions, TraceSource, TraceFormat } from './open-trace.js';
export { parseIsoTimestamp, parseAzureTimestamp } from './timestamps.js';
export { generateTrace, diurnalFactor, GENERATOR_DEFAULT_START } from './generate.js';
export type { GenerateTraceOptions } from './generate.js';
export { DEFAULT_TENANTS, defaultTenants } from './tenant-profiles.js';
export type { TenantProfile } from './tenant-profiles.js';
export { Prng } from './prng.js';
export { writeTraceJsonl, formatTraceLine } from './write-jsonl.js';
export type { WriteTraceOptions, WriteTraceResult } from './write-jsonl.js';
