import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { countTokens, decisionRecordSchema } from '../../index.js';
import { createEmbedder, normaliseText, priceEmbedCompute, allocate, type Embedder } from '../../embeddings/index.js';
import { cli, expectOneLineError } from './capture-io.js';

/**
 * #18 item 6: `tollgate embed` reports its measured compute (execution provider, wall, CPU, GPU seconds),
 * infra cost per 1M embedded tokens and the catalog vendor price of the same texts, in the summary,
 * `--json` and the decision log (one record per tenant, operation embeddings) that chargeback reads.
 * Runs the real bundled ONNX model.
 */

const dir = mkdtempSync(join(tmpdir(), 'tollgate-cli-embed-compute-'));
const input = join(dir, 'docs.jsonl');
const lines = [
  { id: '1', text: 'Tollgate routes each request to the cheapest good-enough model.' },
  { id: '2', text: 'Tollgate routes each request to the cheapest good-enough model.' }, // exact repeat: not embedded, not charged
  { id: '3', text: 'LanceDB stores the vectors on local disk, one table per namespace and model version.', tenant: 'globex' },
  { id: '4', text: 'Budgets are reserved before the call and settled after it.' },
  { id: '5', text: 'A self-hosted GPU is paid for by the hour, busy or idle.', tenant: 'globex' },
];
writeFileSync(input, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');

/** The distinct texts per tenant that needed a vector. */
const distinct = (tenant: string) => [...new Set(lines.filter((l) => (l.tenant ?? 'default') === tenant).map((l) => normaliseText(l.text)))];

let embedder: Embedder;
beforeAll(async () => {
  embedder = await createEmbedder();
}, 60_000);

describe('tollgate embed: compute, infra cost and the vendor comparison', () => {
  it('--json reports CPU seconds on the CPU provider, priced per vCPU-hour, per 1M tokens, next to the catalog vendor price', async () => {
    const db = join(dir, 'db-json');
    const log = join(dir, 'decisions.jsonl');
    // $3,600 per vCPU-hour = $1 per CPU-second, so a sub-second job costs a non-zero number of µ$.
    const r = await cli('embed', '--input', input, '--db', db, '--device', 'cpu', '--cpu-hourly-usd', '3600', '--decision-log', log, '--json');
    expect(r.code, r.err).toBe(0);
    const s = JSON.parse(r.out);
    const c = s.compute;
    expect(c).toMatchObject({ executionProvider: 'cpu', device: 'cpu', gpuSeconds: 0, hourlyUsd: 3600 });
    expect(c.cpuSeconds).toBeGreaterThan(0);
    expect(c.billedSeconds).toBe(c.cpuSeconds);
    expect(c.infraCostMicros).toBe(Math.round(c.cpuSeconds * 1e6));
    const tokens = ['default', 'globex'].flatMap(distinct).reduce((n, t) => n + embedder.countTokens(t), 0);
    expect(c.embeddedTokens).toBe(tokens);
    expect(s.embeddedTokens).toBe(tokens);
    expect(c.infraCostPerMillionTokensMicros).toBe(Math.round((c.cpuSeconds * 1e6 * 1e6) / tokens));
    // openai/text-embedding-3-small: $0.02 per 1M in the catalog; its tokenizer (cl100k_base) counts the same texts
    const vendorTokens = ['default', 'globex'].flatMap(distinct).reduce((n, t) => n + countTokens(t, 'cl100k_base'), 0);
    expect(c.vendor).toEqual({
      model: 'openai/text-embedding-3-small',
      inputPerMillionMicros: 20_000,
      tokens: vendorTokens,
      costMicros: Math.round((vendorTokens * 20_000) / 1e6),
      costPerMillionTokensMicros: Math.round((vendorTokens * 20_000) / tokens),
    });
    expect(s.byTenant).toEqual({
      default: { texts: 2, tokens: distinct('default').reduce((n, t) => n + embedder.countTokens(t), 0), vendorTokens: distinct('default').reduce((n, t) => n + countTokens(t, 'cl100k_base'), 0) },
      globex: { texts: 2, tokens: distinct('globex').reduce((n, t) => n + embedder.countTokens(t), 0), vendorTokens: distinct('globex').reduce((n, t) => n + countTokens(t, 'cl100k_base'), 0) },
    });
    expect(s.ledger).toEqual({ file: log, records: 2 });

    // The ledger: one decision record per tenant, infra split by tokens, summing to the job's cost.
    const records = readFileSync(log, 'utf8').trim().split('\n').map((l) => decisionRecordSchema.parse(JSON.parse(l)));
    expect(records.map((x) => x.tenant).sort()).toEqual(['default', 'globex']);
    for (const rec of records) {
      expect(rec).toMatchObject({ operation: 'embeddings', rule: 'embed-job', model: 'tollgate-static-use-lite-256', tier: 'local-gpu', outcome: 'ok', tokens: { input: s.byTenant[rec.tenant].tokens, output: 0 }, cost: { vendor: 0, ops: 0 } });
      expect(rec.cost.full).toBe(rec.cost.infra);
      expect(rec.candidates.map((x) => x.model)).toEqual(['tollgate-static-use-lite-256', 'openai/text-embedding-3-small']);
      expect(rec.candidates[1]).toMatchObject({ tier: 'vendor', eligible: false });
    }
    expect(records.reduce((n, x) => n + x.cost.infra, 0)).toBe(c.infraCostMicros);
    expect(records.reduce((n, x) => n + x.candidates[1]!.predictedCostMicros, 0)).toBe(c.vendor.costMicros);

    // chargeback reads it: the job's infra cost per tenant
    const month = records[0]!.time.slice(0, 7);
    const cb = await cli('chargeback', '--log', log, '--month', month, '--format', 'json');
    expect(cb.code, cb.err).toBe(0);
    const report = JSON.parse(cb.out) as { tenants: { tenant: string; infraMicros: number; inputTokens: number }[]; total: { infraMicros: number } };
    expect(report.total.infraMicros).toBe(c.infraCostMicros);
    for (const rec of records) expect(report.tenants.find((t) => t.tenant === rec.tenant)).toMatchObject({ infraMicros: rec.cost.infra, inputTokens: rec.tokens.input });
  }, 120_000);

  it('the printed summary states the provider, the seconds, the infra cost per 1M tokens and the vendor price; --device auto falls back to CPU without CUDA', async () => {
    const r = await cli('embed', '--input', input, '--db', join(dir, 'db-text'), '--compare', 'openai/text-embedding-3-large');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/compute on (cpu|cuda)/);
    expect(r.out).toMatch(/wall \d+\.\d\d s, CPU \d+\.\d\d s, GPU \d+\.\d\d s; billed/);
    expect(r.out).toMatch(/infra cost per 1M embedded tokens \$\d+\.\d{6} \(\d+ tokens\); at openai\/text-embedding-3-large \(\$0\.1300\/1M\) the same texts: \$\d+\.\d{6}/);
    if (/compute on cpu/.test(r.out)) expect(r.out).toMatch(/fallback: Execution provider "cuda" is unavailable/); // auto asked for CUDA first
  }, 120_000);

  it('refuses bad prices and unknown comparison models with one line, before embedding', async () => {
    expectOneLineError(await cli('embed', '--input', input, '--db', join(dir, 'db-bad'), '--gpu-hourly-usd', '-1'), /--gpu-hourly-usd must be a non-negative number/);
    expectOneLineError(await cli('embed', '--input', input, '--db', join(dir, 'db-bad'), '--cpu-hourly-usd', 'abc'), /--cpu-hourly-usd must be a non-negative number/);
    expectOneLineError(await cli('embed', '--input', input, '--db', join(dir, 'db-bad'), '--compare', 'text-embedding-3-small'), /--compare must be provider\/model/);
    expectOneLineError(await cli('embed', '--input', input, '--db', join(dir, 'db-bad'), '--compare', 'openai/no-such-embedding-model'), /--compare openai\/no-such-embedding-model: .*not in the @pydantic\/genai-prices catalog/);
    expectOneLineError(await cli('embed', '--input', input, '--db', join(dir, 'db-bad'), '--device', 'tpu'), /--device must be auto, cpu, cuda or webgpu/);
  }, 60_000);
});

describe('priceEmbedCompute / allocate (pure)', () => {
  it('a GPU job is billed its wall seconds at the GPU price; CPU time is reported, not billed', () => {
    const c = priceEmbedCompute({ executionProvider: 'cuda', wallSeconds: 36, embeddingSeconds: 30, cpuSeconds: 50, embeddedTokens: 2_000_000, vendorTokens: 2_100_000 }, { gpuHourlyUsd: 2.5, cpuHourlyUsd: 0.05 }, { model: 'openai/text-embedding-3-small', inputPerMillionMicros: 20_000 });
    // 36 s of a $2.50/h GPU = $0.025; per 1M of 2M tokens: $0.0125. Vendor: 2.1M × $0.02/1M = $0.042, $0.021 per 1M embedded tokens.
    expect(c).toMatchObject({ device: 'gpu', gpuSeconds: 36, billedSeconds: 36, infraCostMicros: 25_000, infraCostPerMillionTokensMicros: 12_500, vendor: { tokens: 2_100_000, costMicros: 42_000, costPerMillionTokensMicros: 21_000 } });
  });

  it('allocate splits by weight and the parts sum to the total', () => {
    expect(allocate(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(allocate(7, [0, 5])).toEqual([0, 7]);
    expect(allocate(5, [0, 0])).toEqual([0, 0]);
  });
});
