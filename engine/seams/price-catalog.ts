import type { ModelSpec } from '../../policies/schema.js';
import type { PriceMicros } from '../cost.js';
import type { SpecificationVersion } from './specification.js';

/** Error codes a PriceCatalog may throw. `missing_price` — {@link MissingPriceError}: the catalog does not know the model. */
export type PriceCatalogErrorCode = 'missing_price';

/**
 * PriceCatalog — vendor list prices for a model, in integer micro-dollars per 1M tokens.
 *
 * Must work offline (no network on the request path or at compile time). In-process; nothing shared.
 */
export interface PriceCatalog {
  /** The seam version this implementation was written against. */
  readonly specificationVersion?: SpecificationVersion;
  /**
   * Called when a policy is compiled (`createTollgate`, `validate`), never per request, for each model
   * without `models[].prices` (a price in the policy always wins and the catalog is not asked). Returns the
   * model's input, output and cached-input prices and any long-context tiers. A model the catalog does not
   * know throws `missing_price` — never a silent zero.
   */
  priceFor(model: ModelSpec): PriceMicros;
}
