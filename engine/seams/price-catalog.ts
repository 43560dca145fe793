import type { ModelSpec } from '../../policies/schema.js';
import type { PriceMicros } from '../cost.js';

/**
 * PriceCatalog — vendor list prices for a model, in integer micro-dollars per 1M tokens.
 *
 * Contract: `priceFor` is called when a policy is compiled (not per request). It returns the model's
 * input, output and cached-input prices and any long-context tiers. A price overridden in the policy
 * (`models[].prices`) always wins and the catalog is not asked. A model the catalog does not know throws
 * {@link MissingPriceError} — never a silent zero. Must work offline.
 */
export interface PriceCatalog {
  priceFor(model: ModelSpec): PriceMicros;
}
