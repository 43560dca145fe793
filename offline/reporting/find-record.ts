import type { DecisionRecord } from '../../index.js';
import { readDecisionLog } from './decision-log-reader.js';

/** The last record of a JSONL decision log with this request id (`tollgate explain --id … --log`). */
export async function findLoggedRecord(path: string, requestId: string): Promise<DecisionRecord | undefined> {
  let found: DecisionRecord | undefined;
  for await (const r of readDecisionLog(path, { skipInvalid: true })) if (r.requestId === requestId) found = r;
  return found;
}
