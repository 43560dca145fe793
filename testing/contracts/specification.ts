import { expect, it } from 'vitest';
import type { SpecificationVersion } from '../../engine/seams/specification.js';

/** Every suite's first case: the implementation was written against seam specification v1 (or says nothing, read as v1). */
export function itSpeaksV1(make: () => Promise<{ specificationVersion?: SpecificationVersion | string }> | { specificationVersion?: SpecificationVersion | string }): void {
  it("declares specificationVersion 'v1' (or none, read as v1)", async () => {
    const impl = await make();
    expect(impl.specificationVersion ?? 'v1').toBe('v1');
  });
}
