/** `tollgate/learning`: train, tune and evaluate learned routing from labeled data and decision logs. */
export { trainClassifier } from './train.js';
export { readLabeledCsv } from './labeled-csv.js';
export { buildReplayItems, evaluateItems, evaluateRouting, replaysOutOfFold, type RoutingEvaluation } from './evaluate.js';
export { replayItemsFromLog } from './log-replay.js';
export { choosePoint, parseTarget, usdPer1MTokens, type TunePoint } from './calibrate.js';
export { floorGrid, replayAt, replayPinned, separatingRule, type ReplayItem, type SeparatingRule } from './replay.js';
export { randomCurve, type RoutingMetrics } from './metrics.js';
export { curveSvg } from './svg-chart.js';
export { seededShuffle } from './validation.js';
export { completeRows, parseCostColumns, parseScale, readLabeledFiles, type LabeledData, type LabeledOptions } from './labeled-csv.js';
export { BUDGETS, evaluateFrontier, type CurveSummary, type FrontierEvaluation, type FrontierOptions, type Interval, type RouterSummary } from './evaluate-frontier.js';
export { RoutingDataError, RoutingEvaluationError, TuneTargetError } from './errors.js';
export { readLogTraining, readPromptLines, type LogTrainingData, type LogTrainingOptions } from './log-training.js';
export { brierSkill, trainSparseClassifier, type SparseTrainOptions } from './train-sparse.js';
export { evaluateOnLog, type LogClassifierScore, type LogEvaluation } from './evaluate-log.js';
export { type PairedComparison } from './evaluate-frontier.js';
export { cachingEmbedder, CrossFitClassifier, crossFitClassifier, foldGroups, type CrossFitFold, type CrossFitOptions } from './cross-fit.js';
