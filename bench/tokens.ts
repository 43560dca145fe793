import { Tiktoken } from 'js-tiktoken/lite';
import cl100k from 'js-tiktoken/ranks/cl100k_base';
import o200k from 'js-tiktoken/ranks/o200k_base';
import * as gptO200k from 'gpt-tokenizer/encoding/o200k_base';
import * as gptCl100k from 'gpt-tokenizer/encoding/cl100k_base';
import { countTokens, createTollgate, MemoryDecisionSink } from '../index.js';
import { startGateway } from '../gateway/index.js';
import { Prng } from '../offline/trace/index.js';
import { printTable, writeResult } from './stats.js';

/** Size of the mixed corpus (UTF-8 bytes). */
const TARGET_BYTES = 5 * 1024 * 1024;

const PROSE = 'the budget of every tenant is reserved before the call and settled to the actual cost after it a router picks the cheapest model that meets the quality floor while fallbacks keep requests alive when a vendor fails and the decision log records why each choice was made for finance and engineering alike'.split(' ');
const CODE = [
  'export function reserve(tenant: string, micros: number): Reservation {\n  const plan = planBudgets(tenant, spec, tags, now);\n  if (!verdict.ok) throw budgetRefusal(plan, verdict);\n  return { id, tenant, micros };\n}\n',
  'def route(request, policy):\n    for rule in policy.rules:\n        if rule.matches(request):\n            return min(rule.candidates, key=lambda m: m.cost)\n    return policy.default\n',
  'SELECT tenant, SUM(cost_micros) AS spend FROM decisions WHERE day >= $1 GROUP BY tenant ORDER BY spend DESC;\n',
  'for (let i = 0; i < rows.length; i++) { total += rows[i].tokens * price[i % 4] >>> 0; }\n',
];
const CJK = '预算在调用之前为每个租户保留并在调用之后按实际成本结算。路由器选择满足质量下限的最便宜模型。予算は呼び出しの前に予約され、実際のコストで精算されます。';
const CYRILLIC = 'бюджет каждого арендатора резервируется до вызова и списывается по фактической стоимости после него маршрутизатор выбирает самую дешёвую модель'.split(' ');
const ARABIC = 'تحجز الميزانية لكل مستأجر قبل الاستدعاء وتسوى بالتكلفة الفعلية بعده ويختار الموجه أرخص نموذج يحقق حد الجودة'.split(' ');

/** A deterministic ~5 MB corpus of documents: English prose, code, CJK, Cyrillic, Arabic and mixes. */
export function mixedCorpus(seed = 'bench-tokens', bytes = TARGET_BYTES): { kind: string; text: string }[] {
  const rng = new Prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[rng.int(xs.length)]!;
  const words = (list: readonly string[], n: number): string => Array.from({ length: n }, () => pick(list)).join(' ');
  const kinds = ['prose', 'code', 'cjk', 'cyrillic', 'arabic', 'mixed'] as const;
  const docs: { kind: string; text: string }[] = [];
  let total = 0;
  while (total < bytes) {
    const kind = kinds[docs.length % kinds.length]!;
    const n = 200 + rng.int(1_800);
    let text: string;
    if (kind === 'prose') text = `${words(PROSE, n)}. ${rng.int(10_000)} requests, ${rng.int(100)}% cached.`;
    else if (kind === 'code') text = Array.from({ length: Math.ceil(n / 40) }, () => pick(CODE)).join('');
    else if (kind === 'cjk') text = Array.from({ length: Math.ceil(n / 20) }, () => CJK.slice(rng.int(20), 20 + rng.int(CJK.length - 20))).join('');
    else if (kind === 'cyrillic') text = words(CYRILLIC, n);
    else if (kind === 'arabic') text = words(ARABIC, n);
    else text = [words(PROSE, n / 4), pick(CODE), CJK.slice(0, 30 + rng.int(40)), words(CYRILLIC, n / 8), words(ARABIC, n / 8), '🙂 ✓ — “quoted” ½'].join('\n');
    docs.push({ kind, text });
    total += Buffer.byteLength(text);
  }
  return docs;
}

interface Pass {
  ms: number;
  cpuMs: number;
  tokens: number;
  counts: number[];
}

function pass(docs: readonly { text: string }[], count: (text: string) => number): Pass {
  const cpu = process.cpuUsage();
  const t = performance.now();
  const counts = docs.map((d) => count(d.text));
  const ms = performance.now() - t;
  const c = process.cpuUsage(cpu);
  return { ms: Math.round(ms), cpuMs: Math.round((c.user + c.system) / 1000), tokens: counts.reduce((a, b) => a + b, 0), counts };
}

const mismatches = (a: number[], b: number[]): number => a.reduce((n, x, i) => n + (x === b[i] ? 0 : 1), 0);

/**
 * Bench for issue 4: token counting on the same ~5 MB of mixed text with js-tiktoken (raw `encode`,
 * and Tollgate's `countTokens`, which caches per pre-tokenised piece) and gpt-tokenizer
 * (`countTokens`), for o200k_base and cl100k_base. Checks that every document gets the same count
 * from all of them and reports MB/s and each one's time relative to gpt-tokenizer.
 */
export async function runTokensBench(outDir: string): Promise<Record<string, unknown>> {
  const docs = mixedCorpus();
  const bytes = docs.reduce((a, d) => a + Buffer.byteLength(d.text), 0);
  const mb = bytes / 1_048_576;
  const encodings: Record<string, unknown> = {};
  const table: Record<string, string | number>[] = [];
  for (const [name, ranks, gpt] of [
    ['o200k_base', o200k, gptO200k],
    ['cl100k_base', cl100k, gptCl100k],
  ] as const) {
    const raw = new Tiktoken(ranks);
    const jsRaw = pass(docs, (t) => raw.encode(t, [], []).length);
    const gptTok = pass(docs, (t) => gpt.countTokens(t));
    const ours = pass(docs, (t) => countTokens(t, name));
    const oursWarm = pass(docs, (t) => countTokens(t, name));
    const equal = mismatches(jsRaw.counts, gptTok.counts) === 0 && mismatches(jsRaw.counts, ours.counts) === 0;
    const row = (p: Pass) => ({ ms: p.ms, cpuMs: p.cpuMs, mbPerSecond: Math.round((mb / (p.ms / 1000)) * 10) / 10, tokens: p.tokens, vsGptTokenizer: Math.round((p.ms / gptTok.ms) * 100) / 100 });
    encodings[name] = {
      documents: docs.length,
      equalCounts: equal,
      mismatchedDocuments: { jsTiktokenVsGptTokenizer: mismatches(jsRaw.counts, gptTok.counts), countTokensVsGptTokenizer: mismatches(ours.counts, gptTok.counts) },
      jsTiktokenEncode: row(jsRaw),
      gptTokenizerCountTokens: row(gptTok),
      tollgateCountTokens: row(ours),
      tollgateCountTokensWarm: row(oursWarm),
      ratioJsTiktokenToGptTokenizer: Math.round((jsRaw.ms / gptTok.ms) * 100) / 100,
    };
    for (const [label, p] of [['js-tiktoken encode', jsRaw], ['gpt-tokenizer countTokens', gptTok], ['tollgate countTokens (cold cache)', ours], ['tollgate countTokens (warm cache)', oursWarm]] as const) {
      table.push({ encoding: name, counter: label, ms: p.ms, 'MB/s': row(p).mbPerSecond, tokens: p.tokens, 'vs gpt-tokenizer': `${row(p).vsGptTokenizer}×`, 'equal counts': equal ? 'yes' : 'NO' });
    }
  }
  const adversarial = adversarialRuns();
  const whileCounting = await latencyWhileCounting();
  const result = { corpusBytes: bytes, corpus: 'prose, code, CJK, Cyrillic, Arabic and mixed documents (seeded)', encodings, adversarial, whileCounting };
  printTable(`tokens: ${mb.toFixed(1)} MB of mixed text, ${docs.length} documents`, table);
  writeResult(outDir, 'tokens', result);
  return result;
}

/** 1 MiB (UTF-8) of one unbroken shape: the inputs that made the reference BPE loop quadratic (issue #14). */
export function adversarialShapes(bytes = 1 << 20, seed = 'bench-adversarial'): Record<string, string> {
  const rng = new Prng(seed);
  const run = (n: number, f: () => string) => Array.from({ length: n }, f).join('');
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  return {
    'random letters': run(bytes, () => letters[rng.int(26)]!),
    "'a' × N": 'a'.repeat(bytes),
    'upper case': 'A'.repeat(bytes),
    'random CJK': run(Math.floor(bytes / 3), () => String.fromCharCode(0x4e00 + rng.int(20_000))),
    emoji: '😀'.repeat(bytes / 4),
    punctuation: '!'.repeat(bytes),
    whitespace: `${' '.repeat(bytes - 1)}x`,
    digits: '7'.repeat(bytes),
    mixed: run(bytes / 2, () => (rng.int(8) === 0 ? '😀' : rng.int(6) === 0 ? '東' : letters[rng.int(26)]!)),
  };
}

/** Time to count each 1 MiB shape (wall and CPU ms), both encodings; target ≤ 1 s each. */
export function adversarialRuns(): Record<string, Record<string, { ms: number; cpuMs: number; tokens: number }>> {
  const shapes = adversarialShapes();
  const out: Record<string, Record<string, { ms: number; cpuMs: number; tokens: number }>> = {};
  const table: Record<string, string | number>[] = [];
  for (const enc of ['o200k_base', 'cl100k_base'] as const) {
    countTokens('warm up', enc);
    for (const [shape, text] of Object.entries(shapes)) {
      const p = pass([{ text }], (t) => countTokens(t, enc));
      (out[shape] ??= {})[enc] = { ms: p.ms, cpuMs: p.cpuMs, tokens: p.tokens };
      table.push({ encoding: enc, shape, bytes: Buffer.byteLength(text), ms: p.ms, 'cpu ms': p.cpuMs, tokens: p.tokens });
    }
  }
  printTable('tokens: 1 MiB unbroken runs (exact heap BPE)', table);
  return out;
}

/**
 * Latency of other requests while 1 MiB prompts are counted: a gateway on the simulated adapter gets
 * three 1 MiB unbroken prompts (counted on the token worker) while one client sends small chat requests
 * back to back and a probe asks `/healthz`; reports their p50/p99 (target p99 < 50 ms), the big
 * requests' wall time, and the same p99s over 3 s with nothing big in flight (the machine's noise).
 */
export async function latencyWhileCounting(): Promise<Record<string, number>> {
  const models = [{ id: 'sim', tier: 'vendor' as const, adapter: 'simulated' as const, contextWindow: 4_000_000, prices: { inputPerM: 1, outputPerM: 2 } }];
  const tollgate = createTollgate({ policy: { name: 'bench-tokens', models }, decisionLog: new MemoryDecisionSink() });
  const gw = await startGateway({ tollgate, tenantForKey: () => 'bench', bodyLimit: 8 << 20 });
  const post = async (content: string) => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer k' }, body: JSON.stringify({ model: 'auto', messages: [{ role: 'user', content }], max_tokens: 16 }) });
    await res.text();
    if (res.status !== 200) throw new Error(`bench request answered ${res.status}`);
  };
  await post('warm up the worker '.repeat(2_000));
  const shapes = adversarialShapes();
  const timed = async (into: number[], f: () => Promise<unknown>) => {
    const t = performance.now();
    await f();
    into.push(performance.now() - t);
  };
  /** Small requests back to back and a /healthz probe every 5 ms while `work` runs. */
  const measure = async (work: () => Promise<void>) => {
    let busy = true;
    const small: number[] = [];
    const health: number[] = [];
    const chatter = (async () => {
      while (busy) await timed(small, () => post(`What is ${small.length} + 1?`));
    })();
    const probe = (async () => {
      while (busy) {
        await timed(health, () => fetch(`${gw.url}/healthz`).then((r) => r.text()));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const t0 = performance.now();
    await work();
    const ms = performance.now() - t0;
    busy = false;
    await Promise.all([chatter, probe]);
    return { ms, small, health };
  };
  const base = await measure(() => new Promise((r) => setTimeout(r, 3_000)));
  const { ms: bigMs, small, health } = await measure(async () => {
    for (const shape of ['random letters', 'random CJK', 'punctuation']) await post(shapes[shape]!);
  });
  await gw.close();
  const q = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return Math.round(s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]! * 10) / 10;
  };
  const result = {
    bigRequests: 3,
    bigRequestsWallMs: Math.round(bigMs),
    smallRequests: small.length,
    smallP50Ms: q(small, 0.5),
    smallP99Ms: q(small, 0.99),
    healthzProbes: health.length,
    healthzP50Ms: q(health, 0.5),
    healthzP99Ms: q(health, 0.99),
    // The same client and probe for 3 s with nothing big in flight: the machine's own noise.
    baselineSmallP99Ms: q(base.small, 0.99),
    baselineHealthzP99Ms: q(base.health, 0.99),
  };
  printTable('tokens: other requests while three 1 MiB prompts are counted (gateway, simulated model)', [result]);
  return result;
}
