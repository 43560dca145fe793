import type { TollgateRequest } from '../../index.js';
import type { TraceRequest } from '../trace/index.js';

const EMPTY_MESSAGES: TollgateRequest['messages'] = [{ role: 'user', content: '' }];

/**
 * Maps one trace row to the request the engine routes: the row's id, tenant, tags, task hint and
 * output cap; its messages (or one empty user message when the row only has token counts); and the
 * simulation hints — known prompt tokens (replacing counting), actual output tokens and observed
 * per-model quality labels. Pure; allocates one small object per row.
 */
export function traceRowToRequest(row: TraceRequest): TollgateRequest {
  const simulation: NonNullable<TollgateRequest['simulation']> = {};
  if (row.promptTokens !== undefined) simulation.promptTokens = row.promptTokens;
  if (row.outputTokens !== undefined) simulation.outputTokens = row.outputTokens;
  if (row.labels !== undefined) simulation.labels = row.labels;
  const request: TollgateRequest = {
    id: row.id,
    tenant: row.tenant,
    messages: row.messages ?? EMPTY_MESSAGES,
    simulation,
  };
  if (row.tags.length > 0) request.tags = row.tags;
  if (row.task !== undefined) request.task = row.task;
  if (row.maxOutputTokens !== undefined) request.maxOutputTokens = row.maxOutputTokens;
  return request;
}
