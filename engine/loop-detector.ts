import { createHash } from 'node:crypto';
import type { Policy } from '../policies/schema.js';
import { TollgateError } from './errors.js';

/** The policy's `loopDetection` section (defaults applied). */
export type LoopDetectionSpec = NonNullable<Policy['loopDetection']>;

/** Request metadata naming the API key a request came with (set by the gateway: a short hash, never the key). */
export const METADATA_KEY_ID = 'tollgate.key';

/** Most (tenant, key, user, prompt) streams tracked at once; the least recently seen are dropped beyond it. */
export const LOOP_TRACKED_KEYS = 10_000;

/**
 * A runaway client was refused: the same long prompt (or prompt prefix) came from this tenant (and
 * end user) more than `maxRepeats` times within `windowMs`. `retryAfterMs`: when the window lets the
 * next one through. Code: `loop_detected` (gateway: 429).
 */
export class LoopDetectedError extends TollgateError {
  constructor(readonly tenant: string, readonly repeats: number, readonly windowMs: number, readonly retryAfterMs: number) {
    super('loop_detected', `Runaway client: the same long prompt ${repeats} times within ${windowMs} ms for tenant "${tenant}" (policy loopDetection)`, {
      tenant,
      repeats,
      windowMs,
      retryAfterMs,
    });
  }
}

/** What the detector saw for one request: nothing, or a repeat past the limit with the policy's action. */
export interface LoopVerdict {
  action: LoopDetectionSpec['action'];
  repeats: number;
  /** Short fingerprint of the repeated prompt (first 8 hex digits of its SHA-256), for the record and alerts. */
  fingerprint: string;
  retryAfterMs: number;
}

/**
 * Detects agent loops and runaway clients (the seed's "malformed client SDK loops and resends long
 * prompts"): per tenant, API key (`metadata['tollgate.key']`, set by the gateway) and end user
 * (`metadata.user`), it counts the requests whose prompt has at least
 * `minPromptChars` characters and the same fingerprint — the whole prompt (`match: exact`) or its first
 * `prefixChars` characters (`match: prefix`) — within a sliding `windowMs` on the engine clock. Past
 * `maxRepeats`, each further repeat gets the policy's action: `warn` (recorded, alerted), `throttle`
 * (waits `throttleMs` first) or `refuse` ({@link LoopDetectedError}). Memory is bounded: at most
 * `maxRepeats + 1` times per stream and {@link LOOP_TRACKED_KEYS} streams. In-process: each replica
 * counts its own traffic (a fleet behind a load balancer sees each loop spread over its replicas).
 */
export class LoopDetector {
  private readonly seen = new Map<string, number[]>();

  constructor(private readonly spec: LoopDetectionSpec) {}

  get windowMs(): number {
    return this.spec.windowMs;
  }

  get throttleMs(): number {
    return this.spec.throttleMs;
  }

  /** Counts one request; returns a verdict once the same prompt is past `maxRepeats` in the window. */
  observe(tenant: string, user: string | undefined, text: string, now: number, key?: string): LoopVerdict | undefined {
    const s = this.spec;
    if (text.length < s.minPromptChars) return undefined;
    const hash = createHash('sha256')
      .update(s.match === 'prefix' ? text.slice(0, s.prefixChars) : text)
      .digest('hex');
    const stream = `${tenant}\u0000${key ?? ''}\u0000${user ?? ''}\u0000${hash}`;
    const times = this.seen.get(stream) ?? [];
    this.seen.delete(stream); // re-insert: the map's order is least recently seen first
    const from = now - s.windowMs;
    let drop = 0;
    while (drop < times.length && times[drop]! <= from) drop++;
    if (drop) times.splice(0, drop);
    times.push(now);
    if (times.length > s.maxRepeats + 1) times.shift();
    this.seen.set(stream, times);
    if (this.seen.size > LOOP_TRACKED_KEYS) this.seen.delete(this.seen.keys().next().value!);
    if (times.length <= s.maxRepeats) return undefined;
    return { action: s.action, repeats: times.length, fingerprint: hash.slice(0, 8), retryAfterMs: Math.max(1, times[0]! + s.windowMs - now) };
  }
}

/** The record's `actions` entry for a verdict: `loop:<action>:<repeats>x:<fingerprint>` (read by the alert monitor). */
export const formatLoopAction = (v: LoopVerdict): string => `loop:${v.action}:${v.repeats}x:${v.fingerprint}`;

/** What the loop step reads of a request. */
export interface LoopStepContext {
  facts: { request: { tenant: string; metadata?: Record<string, string> }; text: string };
  actions: string[];
}

/**
 * The request step (first, before the cache): counts the request and applies the verdict — the record's
 * `actions` get {@link formatLoopAction}; `throttle` waits; `refuse` throws {@link LoopDetectedError}.
 */
export async function checkLoop(deps: { loops?: LoopDetector; now: () => number; sleep: (ms: number) => Promise<void> }, ctx: LoopStepContext): Promise<void> {
  const waitMs = loopStep(deps.loops, ctx, deps.now());
  if (waitMs !== undefined) await deps.sleep(waitMs);
}

/**
 * The synchronous core of {@link checkLoop} (shared with the simulator's fast replay): counts the
 * request at engine time `now`, records the verdict, throws on `refuse`; returns how long a `throttle`
 * waits, else `undefined`.
 */
export function loopStep(detector: LoopDetector | undefined, ctx: LoopStepContext, now: number): number | undefined {
  if (!detector) return undefined;
  const req = ctx.facts.request;
  const v = detector.observe(req.tenant, req.metadata?.user, ctx.facts.text, now, req.metadata?.[METADATA_KEY_ID]);
  if (!v) return undefined;
  ctx.actions.push(formatLoopAction(v));
  if (v.action === 'refuse') throw new LoopDetectedError(req.tenant, v.repeats, detector.windowMs, v.retryAfterMs);
  return v.action === 'throttle' ? detector.throttleMs : undefined;
}
