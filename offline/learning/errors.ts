import { TollgateError } from '../../index.js';
export { ClassifierArtifactError } from '../../index.js';

/**
 * A labeled routing data file (CSV with a `prompt` column and one column per model) is unusable:
 * missing file, missing `prompt` column, an unknown model column, a cell that is not True/False or a
 * score in [0, 1]. Code `routing_data_invalid`; `details.file` and, where known, `details.line`.
 */
export class RoutingDataError extends TollgateError {
  constructor(file: string, reason: string, details: Record<string, unknown> = {}) {
    super('routing_data_invalid', `${file}: ${reason}`, { file, ...details });
  }
}

/** A calibration target cannot be parsed or cannot be met by any threshold. Code `tune_target_invalid` / `tune_target_unreachable`. */
export class TuneTargetError extends TollgateError {
  constructor(code: 'tune_target_invalid' | 'tune_target_unreachable', message: string, details: Record<string, unknown> = {}) {
    super(code, message, details);
  }
}

/**
 * An evaluation that labels cannot score: the router can choose a model without a label column, or no
 * row has every candidate labeled. Code `routing_eval_unscorable`. Never replaced by predicted quality.
 */
export class RoutingEvaluationError extends TollgateError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('routing_eval_unscorable', message, details);
  }
}
