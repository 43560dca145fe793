/**
 * The version of the seam specifications in `engine/seams/` (and `VectorStore`, `Embedder`, `AlertSink`).
 * An implementation declares the version it was written against as `specificationVersion: 'v1'`; the
 * engine and the contract suites (`tollgate/testing`) read it, so a future `'v2'` seam can change a member's
 * meaning without a v1 implementation silently taking the new meaning. Optional in the types for v1 (an
 * implementation without it is read as v1); the contract suites require it to be declared.
 *
 * What every seam's doc comment states, member by member: when the engine calls it, what it returns, which
 * error (by `code`, a union type per seam) means what, and whether it must be safe across processes.
 */
export type SpecificationVersion = 'v1';

export const SPECIFICATION_VERSION: SpecificationVersion = 'v1';
