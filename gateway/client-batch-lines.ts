import { z } from 'zod';
import { deepIssues, toFieldIssues, type CompletionResult, type TollgateRequest } from '../index.js';
import type { HttpFailure } from './http-errors.js';
import { chatBodySchema, completionBody, messageIssues, toTollgateRequest } from './openai-shapes.js';

/** The one endpoint client batches run (`POST /v1/batches` `endpoint`, and each line's `url`). */
export const BATCH_ENDPOINT = '/v1/chat/completions';

/** A file that is not JSONL (one JSON object per line): refused at upload with the line it fails on. */
export class BatchFileFormatError extends Error {
  readonly code = 'invalid_batch_file';
  constructor(readonly line: number, why: string) {
    super(`line ${line}: ${why}`);
  }
}

/**
 * Checks that `data` is JSONL: UTF-8, every non-empty line a JSON object. Returns the number of lines.
 * Throws {@link BatchFileFormatError} naming the first line that is not.
 */
export function checkJsonl(data: Buffer): number {
  const text = data.toString('utf8');
  if (Buffer.byteLength(text) !== data.length || text.includes('\uFFFD')) throw new BatchFileFormatError(1, 'the file is not UTF-8 text');
  let n = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (l === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(l);
    } catch (e) {
      throw new BatchFileFormatError(i + 1, `not JSON (${(e as Error).message.slice(0, 120)})`);
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new BatchFileFormatError(i + 1, 'a line must be a JSON object');
    n++;
  }
  if (n === 0) throw new BatchFileFormatError(1, 'the file has no lines');
  return n;
}

/** Zod issues with each unknown key as its own issue at that key's path, so a 400 names the refused field. */
export function namedIssues(issues: z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  return issues.flatMap((i): z.core.$ZodIssue[] =>
    i.code === 'unrecognized_keys' ? i.keys.map((k) => ({ ...i, path: [...i.path, k], message: `field "${k}" is not carried by the gateway` })) : [i],
  );
}

const lineSchema = z.strictObject({
  custom_id: z.string().min(1).max(512),
  method: z.literal('POST'),
  url: z.literal(BATCH_ENDPOINT),
  body: z.record(z.string(), z.unknown()),
});

/** One input line: either an engine request ready to run, or the typed error that keeps it from running. */
export type BatchLine =
  | { index: number; line: number; customId: string; ok: true; request: Omit<TollgateRequest, 'id' | 'tenant'> }
  | { index: number; line: number; customId: string | null; ok: false; error: { code: string; message: string; param: string | null } };

/**
 * The lines of a batch input file (already checked as JSONL), each validated: `custom_id` (unique in the
 * file), `method` POST, `url` the batch's endpoint, `body` a Chat Completions body (as the route checks
 * it; `stream` is refused). A bad line is kept, with an `invalid_request` error naming its field.
 */
export function batchLines(data: Buffer, tenant: string, tags: string[] | undefined): BatchLine[] {
  const out: BatchLine[] = [];
  const seen = new Set<string>();
  const rows = data.toString('utf8').split('\n');
  for (let i = 0; i < rows.length; i++) {
    const text = rows[i]!.trim();
    if (text === '') continue;
    const raw = JSON.parse(text) as Record<string, unknown>;
    const index = out.length;
    const customId = typeof raw.custom_id === 'string' && raw.custom_id.length > 0 ? raw.custom_id : null;
    const bad = (param: string | null, message: string): BatchLine => ({ index, line: i + 1, customId, ok: false, error: { code: 'invalid_request', message: `line ${i + 1}: ${param ?? '(line)'}: ${message}`, param } });
    const shape = lineSchema.safeParse(raw);
    if (!shape.success) {
      const issue = toFieldIssues(namedIssues(shape.error.issues))[0]!;
      out.push(bad(issue.path || null, issue.message));
      continue;
    }
    if (seen.has(shape.data.custom_id)) {
      out.push(bad('custom_id', `duplicate custom_id "${shape.data.custom_id.slice(0, 80)}" (each line needs its own)`));
      continue;
    }
    seen.add(shape.data.custom_id);
    const body = chatBodySchema.safeParse(shape.data.body);
    if (!body.success) {
      const issues = toFieldIssues(deepIssues([...messageIssues(shape.data.body), ...body.error.issues]));
      out.push(bad(`body.${issues[0]?.path ?? ''}`.replace(/\.$/, ''), issues.map((x) => `${x.path || '(body)'}: ${x.message}`).join('; ')));
      continue;
    }
    if (body.data.stream) {
      out.push(bad('body.stream', 'stream is not supported in a batch'));
      continue;
    }
    const { id: _id, tenant: _t, ...request } = toTollgateRequest(body.data, tenant, 'x', tags);
    out.push({ index, line: i + 1, customId: shape.data.custom_id, ok: true, request });
  }
  return out;
}

/** The id of a line's output (`batch_req_…`) and the engine request id it ran under (the decision record's `requestId`). */
export const lineOutputId = (batchId: string, index: number): string => `batch_req_${batchId.slice('batch_'.length)}_${index}`;
export const lineRequestId = (batchId: string, index: number): string => `${batchId}-${index}`;

/** An answered line, in OpenAI's batch output format. */
export function okLine(batchId: string, index: number, customId: string, r: CompletionResult): string {
  return JSON.stringify({ id: lineOutputId(batchId, index), custom_id: customId, response: { status_code: 200, request_id: r.id, body: completionBody(r, Math.floor(Date.now() / 1000)) }, error: null });
}

/** A line the engine refused or failed: the HTTP answer the route would have given, and its code. */
export function failedLine(batchId: string, index: number, customId: string | null, requestId: string, f: HttpFailure): string {
  const e = f.body.error;
  const param = e.param && !e.param.startsWith('body.') ? `body.${e.param}` : e.param;
  return JSON.stringify({
    id: lineOutputId(batchId, index), custom_id: customId,
    response: { status_code: f.status, request_id: requestId, body: { error: { ...e, param } } },
    error: { code: e.code ?? e.type, message: e.message, param },
  });
}

/** A line that never reached the engine (invalid, or not run: the batch was cancelled or expired). */
export function errorLine(batchId: string, index: number, customId: string | null, error: { code: string; message: string; param?: string | null; line?: number }): string {
  return JSON.stringify({ id: lineOutputId(batchId, index), custom_id: customId, response: null, error: { param: null, ...error } });
}

/** The line index of a result line (from its `id`), or `undefined` for a line that is not one. */
export function resultIndex(line: string): number | undefined {
  try {
    const id = (JSON.parse(line) as { id?: unknown }).id;
    const m = typeof id === 'string' ? /_(\d+)$/.exec(id) : null;
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a line can be deferred to a vendor batch API: plain text chat (what the engine's deferrable path
 * carries) — no tools, response formats, `n`, pass-through fields, images or tool turns. Others run now.
 */
export function isPlainChat(r: Omit<TollgateRequest, 'id' | 'tenant'>): boolean {
  if (r.tools || r.toolChoice || r.responseFormat || r.n !== undefined || r.passthrough || r.reasoningEffort || r.serviceTier) return false;
  return r.messages.every((m) => typeof m.content === 'string' && m.role !== 'tool' && !('tool_calls' in m && m.tool_calls));
}
