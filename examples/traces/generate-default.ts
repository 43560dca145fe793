/**
 * Regenerates examples/traces/default.jsonl from DEFAULT_TRACE_OPTIONS.
 * Run from the repository root:  npx jiti examples/traces/generate-default.ts
 */
import { fileURLToPath } from 'node:url';
import { generateTrace, writeTraceJsonl } from '../../offline/trace/index.js';
import { DEFAULT_TRACE_FILE, DEFAULT_TRACE_OPTIONS } from './default-trace-options.js';

const file = fileURLToPath(new URL(DEFAULT_TRACE_FILE, import.meta.url));
const { requests, bytes } = await writeTraceJsonl(file, generateTrace(DEFAULT_TRACE_OPTIONS));
console.log(`wrote ${requests} requests (${(bytes / 1024 / 1024).toFixed(2)} MiB) to ${file}`);
