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
