/**
 * Tollgate's public API (`tollgate`): the engine, policies, HTTP model adapters, memory stores and sinks.
 * Loads no native module and no Redis/BullMQ client. Heavy parts have their own entry points:
 * `tollgate/embeddings`, `tollgate/redis`, `tollgate/observers`, `tollgate/classifiers`, `tollgate/trace`,
 * `tollgate/simulation`, `tollgate/learning`, `tollgate/billing`, `tollgate/reporting`, `tollgate/gateway`
 * (see docs/architecture.md).
 */
export { createTollgate, tollgateContainer, LazyPostgresSink, type TollgateOptions, type DeferredOptions } from './compose.js';
export { TOKENS, type Token } from './engine/container.js';
export { Tollgate, type CompletionResult, type DryRun, type StreamChunk, type CallOptions, type TollgateState } from './engine/tollgate.js';
export { CircuitBreaker, circuitMachine, type CircuitSnapshot, type CircuitState, type CircuitTicket, type CallOutcome } from './engine/circuit-breaker.js';
export { GuardBook, guardMachine, guardLevelOf, GUARD_STATES, type GuardSnapshot, type GuardState } from './engine/guard-state.js';
export { definePolicy } from './policies/define-policy.js';
export { isCodePolicy, loadPolicy, MAX_POLICY_BYTES, readPolicyFile, resolvePolicy, type LoadedPolicy } from './policies/loader.js';
export { policyIssues, validatePolicy } from './policies/validate.js';
export { policyVersion } from './policies/version.js';
export * from './policies/schema.js';
export * from './engine/errors.js';
export { leaseController, releaseController } from './engine/abort-pool.js';
export { OptionalDependencyMissingError, type OptionalPackage } from './engine/optional-dependency.js';
export { requestSchema, messageSchema, deepIssues, validateRequest, contentText, MAX_N, type TollgateRequest, type ChatMessage, type TextMessage, type ContentPart, type ToolCall, type ToolDefinition, type ToolChoice, type ResponseFormat } from './engine/request.js';
export { runEmbed, embedRequestSchema, type EmbedRequest, type EmbedResult, type EmbedCallInput, type EmbedResponse, type EmbeddingAdapter } from './engine/embed.js';
export { modelCapabilities, requestNeeds, maxChoices, type Capability } from './engine/capabilities.js';
export { textOf, textMessages, requestExtraTokens, openaiToolTokens, anthropicToolTokens, imageTokens } from './engine/message-tokens.js';
export { openaiImageTokens, anthropicImageTokens, imagePartTokens, readDataUrl, headerSize, type ImageInfo } from './engine/image-tokens.js';
export { countTokens, countChatTokens, type Encoding } from './engine/tokens.js';
export { vendorCost, fullCost, costPerMillion, gpuHoursPerMillion, type TokenUsage, type CostBreakdown, type PriceMicros } from './engine/cost.js';
export { type Micros, usdToMicros, microsToUsd, formatUsd } from './engine/money.js';
export { compilePolicy, type CompiledPolicy } from './engine/compiled-policy.js';
export { compileCapacity, throughputAt, gpuSecondsOf, serviceMsOf, gpuSecondsMicros, serviceEstimate, type CompiledCapacity, type ServiceEstimate } from './engine/capacity.js';
export { closeCapacityWindow, allocateToRequest, breakEvenRequestsPerHour, type CapacityWindowUsage, type CapacityTrueUp } from './engine/capacity-cost.js';
export { DeferredBatcher, BatchUnsupportedError, type DeferredRequest, type DeferredBatcherOptions, type BatchQueueGauge } from './adapters/batch/deferred-batcher.js';
export { type DeferredHandle, parseWithin } from './engine/deferred-request.js';
export type { DeferredQueue, DeferredLine, DeferredSettlement, DeferredStatus, DeferredQueueErrorCode } from './engine/seams/deferred-queue.js';
export { FileBatchJobStore, type BatchJob, type BatchLine, type BatchJobStore, type BatchLineResult } from './adapters/batch/batch-job-store.js';
export { OpenAIBatchClient, AnthropicBatchClient, VendorBatchError, type VendorBatchClient, type VendorBatchStatus, type VendorResultLine } from './adapters/batch/vendor-batch-client.js';
export { batchJobMachine, nextBatchJobState, type BatchJobState, type BatchJobEvent } from './adapters/batch/batch-job-machine.js';
export { decide, matchRule, explainDecision, type Decision, type RouteFacts } from './engine/router.js';
export { CostLedger, ledgerRowOf, type LedgerRow, type LedgerDimension, type LedgerTotals } from './engine/ledger.js';
export { decisionRecordSchema, type DecisionRecord } from './engine/decision-record.js';
export type { ModelAdapter, ModelCallInput, ModelResponse, StreamEvent, ModelChoice, ToolCallDelta } from './engine/seams/model-adapter.js';
export type { RequestClassifier, Classification, ClassifierInput } from './engine/seams/classifier.js';
export type { PriceCatalog } from './engine/seams/price-catalog.js';
export type { BudgetStore, Reservation, ReserveRequest } from './engine/seams/budget-store.js';
export type { RateLimiter, RateLimitRequest, RateLimitResult } from './engine/seams/rate-limiter.js';
export type { Cache, CacheQuery, CacheHit, CachedAnswer } from './engine/seams/cache.js';
export type { DecisionSink } from './engine/seams/decision-sink.js';
export { SimulatedAdapter } from './adapters/simulated-adapter.js';
export { OpenAICompatibleAdapter } from './adapters/openai-compatible-adapter.js';
export { AnthropicAdapter } from './adapters/anthropic-adapter.js';
export { RulesClassifier } from './adapters/classifiers/rules-classifier.js';
export { GenaiPricesCatalog } from './adapters/genai-prices-catalog.js';
export { DEFAULT_DURABILITY, DURABILITY_MODES, type Durability, JsonlDecisionSink, type JsonlDecisionSinkOptions, repairTornTail, WRITE_SYNC_INTERVAL_MS } from './adapters/sinks/jsonl-decision-sink.js';
export { MemoryDecisionSink, NullDecisionSink } from './adapters/sinks/memory-decision-sink.js';
export { MemoryBudgetStore } from './adapters/stores/memory-budget-store.js';
export { MemoryRateLimiter } from './adapters/stores/memory-rate-limiter.js';
export { MemoryIdempotencyStore, type MemoryIdempotencyStoreOptions } from './adapters/stores/memory-idempotency-store.js';
export type { IdempotencyStore, ClaimOutcome } from './engine/seams/idempotency-store.js';
export { IdempotencyConflictError, requestFingerprint, DEFAULT_IDEMPOTENCY_RETENTION_MS } from './engine/idempotency.js';
export { StoreUnavailableError } from './engine/store-errors.js';
export { engineReserveRequest, type PendingSpend, type StoreOutagePolicy } from './engine/engine-budgets.js';
export { ClientCancelledError } from './engine/stream-drain.js';
export { chooseLimitAction, formatLimitAction, LimitActionRefusedError, type LimitAction } from './engine/limit-actions.js';
export { LogAlertSink } from './adapters/sinks/log-alert-sink.js';
export { WebhookAlertSink } from './adapters/sinks/webhook-alert-sink.js';
export { withRequestSpan, genAiSpanName, recordDecisionOnSpan } from './engine/tracing.js';
export { packageRoot, examplePolicies, fleetExamplePolicy, defaultTrace } from './policies/bundled-files.js';

// Building blocks that Tollgate's own faces and offline tools use (they import only entry points).
export { ClassifierArtifactError } from './adapters/classifiers/learned/artifact-error.js';
export { type CompiledRule } from './engine/compiled-policy.js';
export { messageText, requestFacts } from './engine/request-facts.js';
export { ARTIFACT_FORMAT, manifestVersion, sha256, stableStringify, type ArtifactManifest, type LearnedMethod, type ValidationMetrics } from './adapters/classifiers/learned/artifact.js';
export { CALIBRATION_FILE, labeledDataSha256, type CalibrationData } from './adapters/classifiers/learned/calibration.js';
export { DEFAULT_KNN, knnEstimate, packRows, topKNeighbours, type KnnParams, type Neighbour } from './adapters/classifiers/learned/knn.js';
export { fitOutputLength, observationsFromLog, type OutputLengthModelData } from './adapters/classifiers/learned/output-length.js';
export { applyFeedback, isFeedbackLine, readFeedback } from './engine/feedback.js';
export { isPromptLine, promptRecordSchema, type PromptRecord } from './engine/prompt-record.js';
export { drawOutputTokens, drawPrefix, drawQuality, drawUniforms } from './adapters/simulated-draws.js';
export { checkAmounts } from './engine/budget-plan.js';
export { type ValidRequest } from './engine/request.js';
export { downgradeExclusions, reservationSize } from './engine/reservation-size.js';
export { buildDecisionRecord, settledUsage, type SettledAnswer } from './engine/settle-record.js';
// The synchronous cores of complete()'s steps (engine/steps/): the simulator's fast replay runs on them.
export { checkRateLimit, classifierInput, limitActionStep, outputCap, rateLimitRequest, reserveRequest, routeRequest, type LimitStep } from './engine/steps/admission.js';
export { modelCallBase, modelChain, type ModelCallBase } from './engine/steps/model-call.js';
export { planSettlement, settledRecord, type BudgetRelease, type RecordContext, type Settlement } from './engine/steps/settlement.js';
export { LoopDetector, loopStep, LoopDetectedError, METADATA_KEY_ID, type LoopStepContext } from './engine/loop-detector.js';
export type { RequestFacts } from './engine/request-facts.js';
export { countPromptByEncoding } from './engine/tokens.js';
export { carryJsonText, jsonTextOf, rememberJsonText } from './engine/tools-json.js';
export { BufferedJsonlDecisionSink } from './adapters/sinks/buffered-jsonl-sink.js';
export { redactSecrets } from './engine/redact.js';
export { windowDurationMs, type BudgetWindow } from './engine/budget-windows.js';
export { loadPolicyClassifier } from './adapters/classifiers/policy-classifier.js';
export { loadPolicySync } from './policies/loader.js';
export { FEATURES_V1, featureNames, promptFeatures, withFeatures } from './adapters/classifiers/learned/features.js';
export { DEFAULT_TAIL_CHARS, viewText, type TextView } from './adapters/classifiers/learned/text-view.js';
