/** `tollgate/gateway`: the OpenAI-compatible HTTP gateway (fastify) in front of a Tollgate. */
export { KeyStore, addKey, readKeyFile } from './api-keys.js';
export { DEFAULT_BODY_LIMIT, startGateway, buildGateway, type GatewayOptions, type RunningGateway } from './server.js';
export { DEFAULT_FILES_LIMIT } from './files-route.js';
export { type ClientBatchOptions } from './client-batch-routes.js';
export { revokeKeys } from './api-keys.js';
export { exitWorker, isClusterWorker, reportListening, runPrimary, type PrimaryOptions } from './cluster.js';
