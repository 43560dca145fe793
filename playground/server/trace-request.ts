import type { TollgateRequest } from '../../index.js';
import type { TraceRequest } from '../../offline/trace/index.js';

/**
 * The engine request for one trace row, as a simulation replays it: known prompt tokens, actual
 * output tokens and labels go in `simulation`; a row without messages gets one empty user message.
 */
export function traceToRequest(r: TraceRequest): TollgateRequest {
  return {
    id: r.id,
    tenant: r.tenant,
    messages: r.messages?.length ? r.messages.map(({ role, content }) => ({ role, content })) : [{ role: 'user', content: '' }],
    ...(r.maxOutputTokens !== undefined ? { maxOutputTokens: r.maxOutputTokens } : {}),
    ...(r.tags.length ? { tags: r.tags.slice(0, 32) } : {}),
    ...(r.task ? { task: r.task } : {}),
    simulation: {
      ...(r.promptTokens !== undefined ? { promptTokens: r.promptTokens } : {}),
      ...(r.outputTokens !== undefined ? { outputTokens: r.outputTokens } : {}),
      ...(r.labels ? { labels: r.labels } : {}),
    },
  };
}
