import { calcPrice } from '@pydantic/genai-prices';
import type { ModelSpec } from '../policies/schema.js';
import type { PriceMicros } from '../engine/cost.js';
import { MissingPriceError } from '../engine/errors.js';
import { usdToMicros } from '../engine/money.js';
import type { PriceCatalog } from '../engine/seams/price-catalog.js';

type PriceField = number | { base: number; tiers: { start: number; price: number }[] } | undefined;

/**
 * Prices from @pydantic/genai-prices, whose data ships inside the npm package (works offline; this
 * class never calls its remote updater). Long-context tiers (e.g. Gemini above 128k, Claude above 200k
 * prompt tokens) apply to the whole request once the prompt passes the tier's start, as the vendors bill.
 * The catalog is asked for `catalog.model` (or `upstreamModel`, or `id`) at `catalog.provider`
 * (or the adapter's vendor: `anthropic` for the Anthropic adapter, else any provider that matches).
 */
export class GenaiPricesCatalog implements PriceCatalog {
  readonly specificationVersion = 'v1' as const;
  constructor(private readonly at: Date = new Date()) {}

  priceFor(model: ModelSpec): PriceMicros {
    const ref = model.catalog?.model ?? model.upstreamModel ?? model.id;
    const providerId = model.catalog?.provider ?? (model.adapter === 'anthropic' ? 'anthropic' : undefined);
    const found = calcPrice({ input_tokens: 1, output_tokens: 1 }, ref, { providerId, timestamp: this.at });
    if (!found) throw new MissingPriceError(model.id, `"${ref}" is not in the @pydantic/genai-prices catalog${providerId ? ` for provider ${providerId}` : ''}; set models[].prices`);
    const p = { ...(found.model_price as Record<string, PriceField>) };
    // Embedding models are billed for input only: the catalog lists no output price for them.
    if (p.output_mtok === undefined && p.input_mtok !== undefined && model.operation === 'embeddings') p.output_mtok = 0;
    if (p.input_mtok === undefined || p.output_mtok === undefined) {
      throw new MissingPriceError(model.id, `catalog entry "${found.model.id}" has no token prices`);
    }
    const input = split(p.input_mtok);
    const output = split(p.output_mtok);
    const cached = p.cache_read_mtok === undefined ? input : split(p.cache_read_mtok);
    const write = p.cache_write_mtok === undefined ? input : split(p.cache_write_mtok);
    const starts = [...new Set([...input.tiers, ...output.tiers, ...cached.tiers].map((t) => t.start))].sort((a, b) => a - b);
    return {
      inputPerM: usdToMicros(input.base),
      outputPerM: usdToMicros(output.base),
      cachedInputPerM: usdToMicros(cached.base),
      cacheWritePerM: usdToMicros(write.base),
      tiers: starts.map((start) => ({
        above: start,
        inputPerM: usdToMicros(at(input, start)),
        outputPerM: usdToMicros(at(output, start)),
        cachedInputPerM: usdToMicros(at(cached, start)),
      })),
    };
  }
}

function split(f: PriceField): { base: number; tiers: { start: number; price: number }[] } {
  if (typeof f === 'number') return { base: f, tiers: [] };
  if (!f) return { base: 0, tiers: [] };
  return { base: f.base, tiers: [...f.tiers].sort((a, b) => a.start - b.start) };
}

/** The price in force once the prompt passes `start`. */
function at(f: { base: number; tiers: { start: number; price: number }[] }, start: number): number {
  let price = f.base;
  for (const t of f.tiers) if (t.start <= start) price = t.price;
  return price;
}
