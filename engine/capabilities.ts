import type { Capability, ModelSpec } from '../policies/schema.js';
import type { CompiledModel } from './compiled-policy.js';
import { ValidationError } from './errors.js';
import type { ValidRequest } from './request.js';
import { countTokens } from './tokens.js';

/**
 * Capability-aware routing: what a request needs, what each model has, and why a model is skipped.
 *
 * A request needs `tools` when it carries tools or its history has tool calls or tool results, `vision`
 * when a message has an image part, `jsonSchema` for a `json_schema` or `json_object` response format,
 * `reasoning` for a `reasoning_effort` other than `none`. `n` above a model's `maxN` and `passthrough`
 * fields on a model that is not OpenAI-compatible exclude it too. The router never picks such a model
 * and fallback chains skip it; the candidates in the record give the reason (`lacks tools`). A pinned
 * model that lacks what the request needs is a 400 naming the field that needs it.
 *
 * Defaults when a model declares no `capabilities` (a declaration replaces them):
 * - OpenAI-compatible and Anthropic models of the `vendor` tier: tools, vision, jsonSchema; reasoning for
 *   the reasoning families (OpenAI o-series and gpt-5, Claude 3.7 and the Claude 4 families); embeddings
 *   for names with `embed`;
 * - self-hosted OpenAI-compatible models (`local-gpu`, `distilled`: vLLM, TGI, Ollama): tools, jsonSchema
 *   (guided decoding), and embeddings for names with `embed`; no vision or reasoning unless declared;
 * - simulated models: every chat capability.
 * `maxN` defaults to 128 for OpenAI-compatible models and 1 for the others.
 */

export type { Capability };

const REASONING_MODEL = /(^|[/:])(o\d|gpt-5|claude-3-7|claude-(opus|sonnet|haiku)-4|claude-\w+-4)/i;
const EMBEDDING_MODEL = /embed/i;

const cache = new WeakMap<ModelSpec, ReadonlySet<Capability>>();

/** The capabilities of a model (declared, else the defaults above). */
export function modelCapabilities(spec: ModelSpec): ReadonlySet<Capability> {
  let c = cache.get(spec);
  if (c) return c;
  if (spec.capabilities) c = new Set(spec.capabilities);
  else {
    const name = spec.upstreamModel ?? spec.id;
    const out = new Set<Capability>();
    if (spec.adapter === 'simulated') for (const x of ['tools', 'vision', 'jsonSchema', 'reasoning'] as const) out.add(x);
    else if (spec.tier === 'vendor') {
      out.add('tools').add('vision').add('jsonSchema');
      if (REASONING_MODEL.test(name)) out.add('reasoning');
    } else out.add('tools').add('jsonSchema');
    if (spec.adapter !== 'anthropic' && EMBEDDING_MODEL.test(name)) out.add('embeddings');
    c = out;
  }
  cache.set(spec, c);
  return c;
}

export function maxChoices(spec: ModelSpec): number {
  return spec.maxN ?? (spec.adapter === 'openai-compatible' ? 128 : 1);
}

/** What a request needs of a model. */
export function requestNeeds(r: ValidRequest): Set<Capability> {
  const needs = new Set<Capability>();
  if (r.tools?.length) needs.add('tools');
  for (const m of r.messages) {
    if (m.tool_calls || m.role === 'tool') needs.add('tools');
    if (Array.isArray(m.content)) for (const p of m.content) if (p.type === 'image_url') needs.add('vision');
  }
  if (r.responseFormat && r.responseFormat.type !== 'text') needs.add('jsonSchema');
  if (r.reasoningEffort && r.reasoningEffort !== 'none') needs.add('reasoning');
  return needs;
}

/** Messages other than system/developer ones (the rule condition `turns`). */
export function turnCount(r: ValidRequest): number {
  let n = 0;
  for (const m of r.messages) if (m.role !== 'system' && m.role !== 'developer') n++;
  return n;
}

/** Tokens of the tool results in the history (o200k_base; the rule condition `toolResultTokens`). */
export function toolResultTokens(r: ValidRequest): number {
  let n = 0;
  for (const m of r.messages) {
    if (m.role !== 'tool') continue;
    if (typeof m.content === 'string') n += countTokens(m.content);
    else for (const p of m.content ?? []) if (p.type === 'text') n += countTokens(p.text);
  }
  return n;
}

const FIELD: Record<Capability, string> = { tools: 'tools', vision: 'messages', jsonSchema: 'responseFormat', reasoning: 'reasoningEffort', embeddings: 'input' };

/** Why `m` cannot serve the request, with the request field that asks for it; undefined when it can. */
export function capabilityGap(m: CompiledModel, r: ValidRequest, needs: ReadonlySet<Capability>): { reason: string; field: string } | undefined {
  if (needs.size) {
    const has = modelCapabilities(m.spec);
    for (const need of needs) if (!has.has(need)) return { reason: `lacks ${need}`, field: FIELD[need] };
  }
  if (r.n !== undefined && r.n > maxChoices(m.spec)) return { reason: `n ${r.n} > maxN ${maxChoices(m.spec)}`, field: 'n' };
  if (r.passthrough && m.spec.adapter !== 'openai-compatible') return { reason: `cannot carry ${Object.keys(r.passthrough).join(', ')} (not OpenAI-compatible)`, field: `passthrough.${Object.keys(r.passthrough)[0]}` };
  return undefined;
}

/** Models that lack what the request needs, with the reason; a pinned model that lacks it is a ValidationError. */
export function capabilityExclusions(models: readonly CompiledModel[], r: ValidRequest, pinned?: CompiledModel): Map<string, string> | undefined {
  const embedOnly = embeddingsOnly(models);
  if (pinned?.spec.operation === 'embeddings') throw new ValidationError('request', [{ path: 'model', message: `${pinned.id} is an embeddings model (use /v1/embeddings or embed())` }]);
  if (r.n === undefined && !r.passthrough && !r.tools?.length && !r.responseFormat && !r.reasoningEffort && !hasRichMessages(r)) return embedOnly;
  const needs = requestNeeds(r);
  if (pinned) {
    const gap = capabilityGap(pinned, r, needs);
    if (gap) throw new ValidationError('request', [{ path: gap.field, message: `model ${pinned.id} ${gap.reason}` }]);
    return undefined;
  }
  let out: Map<string, string> | undefined = embedOnly && new Map(embedOnly);
  for (const m of models) {
    if (out?.has(m.id)) continue;
    const gap = capabilityGap(m, r, needs);
    if (gap) (out ??= new Map()).set(m.id, gap.reason);
  }
  return out;
}

const embedCache = new WeakMap<readonly CompiledModel[], Map<string, string> | undefined>();

/** Models that serve embeddings only (`operation: embeddings`): never candidates for a chat request. */
function embeddingsOnly(models: readonly CompiledModel[]): Map<string, string> | undefined {
  if (embedCache.has(models)) return embedCache.get(models);
  let out: Map<string, string> | undefined;
  for (const m of models) if (m.spec.operation === 'embeddings') (out ??= new Map()).set(m.id, 'embeddings model');
  embedCache.set(models, out);
  return out;
}

function hasRichMessages(r: ValidRequest): boolean {
  for (const m of r.messages) if (typeof m.content !== 'string' || m.tool_calls || m.role === 'tool') return true;
  return false;
}
