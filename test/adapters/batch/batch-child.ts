/**
 * A batcher process for the SIGKILL test (test/adapters/batch/batch-restart.test.ts), run with
 * `node --import jiti/register batch-child.ts <vendorUrl> <dir> <submit|resume>`: `submit` defers the
 * 1,000 requests and submits every job (the test kills it meanwhile); `resume` starts again on the same
 * job store and decision log, drains every job and prints `done` (`resume-slow`: also prints each record appended).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileBatchJobStore } from '../../../adapters/batch/batch-job-store.js';
import { DeferredBatcher } from '../../../adapters/batch/deferred-batcher.js';
import { AnthropicBatchClient, OpenAIBatchClient } from '../../../adapters/batch/vendor-batch-client.js';
import { type DecisionRecord, JsonlDecisionSink, repairTornTail } from '../../../index.js';
import { batchPolicy, deferrable } from './batch-fixtures.js';

const [url, dir, mode] = process.argv.slice(2) as [string, string, 'submit' | 'resume' | 'resume-slow'];
const log = join(dir, 'decisions.jsonl');
await repairTornTail(log); // a line torn by the kill
const logged = new Set<string>();
if (existsSync(log)) for (const line of readFileSync(log, 'utf8').split('\n')) if (line.trim()) logged.add((JSON.parse(line) as { requestId: string }).requestId);
const jsonl = new JsonlDecisionSink(log);
let appended = 0;
// resume-slow: reports every record once it is durable, so the test can kill it mid-settlement.
const sink = {
  append: async (r: DecisionRecord) => {
    await jsonl.append(r);
    if (mode === 'resume-slow') console.log(`appended ${++appended}`);
  },
  close: () => jsonl.close(),
};
const batcher = new DeferredBatcher({
  policy: batchPolicy(url),
  clients: { openai: new OpenAIBatchClient({ baseUrl: url, apiKey: 'sk-test' }), anthropic: new AnthropicBatchClient({ baseUrl: url, apiKey: 'sk-ant-test' }) },
  store: new FileBatchJobStore(join(dir, 'batch-jobs.json')),
  sink,
  maxLines: 300,
  pollMs: 10,
  isSettled: (id) => logged.has(id),
});
if (mode === 'submit') {
  batcher.defer(deferrable());
  console.log('deferred');
  await batcher.tick(true);
  console.log('submitted');
  setInterval(() => undefined, 1_000); // wait to be killed
} else {
  await batcher.drain();
  await sink.close();
  console.log('done');
}
