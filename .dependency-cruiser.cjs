/**
 * Tollgate's dependency rules (docs/architecture.md), checked by `npm run lint:deps` in .ci/run.
 * Paths are relative to the repository root. Type-only imports count (tsPreCompilationDeps).
 */
const OURS = '^(policies|engine|adapters|embeddings|offline|cli|gateway|playground|bench|examples|testing)/|^(compose|index|errors)[.]ts$';
/** The public entry points (package.json `exports`), plus the playground server's own entry for the CLI. */
const ENTRIES = [
  '^index[.]ts$',
  '^errors[.]ts$',
  '^embeddings/index[.]ts$',
  '^adapters/(redis|postgres|observers|classifiers)/index[.]ts$',
  '^offline/[^/]+/index[.]ts$',
  '^gateway/index[.]ts$',
  '^playground/server/index[.]ts$',
  '^testing/index[.]ts$',
];

module.exports = {
  forbidden: [
    {
      name: 'policies-self-contained',
      comment: 'policies/ (schema, loader, errors) imports nothing of ours outside policies/.',
      severity: 'error',
      from: { path: '^policies/' },
      to: { path: OURS, pathNot: '^policies/' },
    },
    {
      name: 'engine-request-path-only',
      comment: 'engine/ imports only policies/ and itself: never an adapter, an offline tool or a face.',
      severity: 'error',
      from: { path: '^engine/' },
      to: { path: OURS, pathNot: '^(engine|policies)/' },
    },
    {
      name: 'adapters-implement-seams',
      comment: 'adapters/ imports engine/ and policies/ (and itself).',
      severity: 'error',
      from: { path: '^adapters/', pathNot: '^adapters/classifiers/' },
      to: { path: OURS, pathNot: '^(adapters|engine|policies)/' },
    },
    {
      name: 'classifiers-implement-seams',
      comment:
        'adapters/classifiers/ likewise, with one documented exception: the learned classifier composes an ' +
        'embedder (and reads its LanceDB artefact), so it may import embeddings/ as well.',
      severity: 'error',
      from: { path: '^adapters/classifiers/' },
      to: { path: OURS, pathNot: '^(adapters|engine|policies|embeddings)/' },
    },
    {
      name: 'embeddings-implement-seams',
      comment: 'embeddings/ imports engine/ and policies/ (and itself).',
      severity: 'error',
      from: { path: '^embeddings/' },
      to: { path: OURS, pathNot: '^(embeddings|engine|policies)/' },
    },
    {
      name: 'testing-uses-seams',
      comment: 'testing/ (the contract suites, tollgate/testing) tests seams: it imports engine/, policies/ and the embeddings seams, never an implementation.',
      severity: 'error',
      from: { path: '^testing/' },
      to: { path: OURS, pathNot: ['^(testing|engine|policies)/', '^embeddings/vector-store[.]ts$', '^embeddings/embedder[.]ts$'] },
    },
    {
      name: 'one-composition-root',
      comment: 'only compose.ts (and the entry files that re-export them) imports concrete adapters.',
      severity: 'error',
      from: { path: OURS, pathNot: ['^adapters/', '^compose[.]ts$', '^index[.]ts$', '^embeddings/'] },
      to: { path: '^adapters/', pathNot: ENTRIES },
    },
    {
      name: 'faces-use-entry-points',
      comment: 'cli/, gateway/, playground/server/ and bench/ import other folders only through the entry index files.',
      severity: 'error',
      from: { path: '^(cli|gateway|playground/server|bench)/' },
      to: { path: OURS, pathNot: ['^$1/', ...ENTRIES] },
    },
    {
      name: 'offline-tools-use-entry-points',
      comment: 'each offline/<tool>/ imports other folders only through the entry index files.',
      severity: 'error',
      from: { path: '^offline/([^/]+)/' },
      to: { path: OURS, pathNot: ['^offline/$1/', ...ENTRIES] },
    },
    {
      name: 'playground-web-types-only',
      comment: 'the browser client imports only the server\'s response types (playground/server/api-types.ts), type-only.',
      severity: 'error',
      from: { path: '^playground/web/' },
      to: { path: OURS, pathNot: ['^playground/web/', '^playground/server/api-types[.]ts$'] },
    },
    {
      name: 'playground-web-type-only-import',
      comment: 'and only as `import type`, so no server code reaches the bundle.',
      severity: 'error',
      from: { path: '^playground/web/' },
      to: { path: '^playground/server/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'root-entry-is-light',
      comment: 'the root entry (tollgate) re-exports no offline tool, face, embeddings, Redis or observers module.',
      severity: 'error',
      from: { path: '^(index|compose)[.]ts$' },
      to: { path: '^(offline|cli|gateway|playground|bench|embeddings)/|^adapters/(redis|observers)/', pathNot: '^embeddings/local-embeddings-adapter[.]ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'root-entry-loads-local-embedder-lazily',
      comment:
        'the one embeddings module the composition root may reach: the local-onnx adapter, and only by a ' +
        'dynamic import() on its first request (compose.ts LazyLocalEmbeddingsAdapter), so import("tollgate") stays light.',
      severity: 'error',
      from: { path: '^(index|compose)[.]ts$' },
      to: { path: '^embeddings/local-embeddings-adapter[.]ts$', dependencyTypesNot: ['type-only', 'dynamic-import'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|test-output|playground/dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
