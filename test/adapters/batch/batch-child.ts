/**
 * A batcher process for the SIGKILL test (test/adapters/batch/batch-restart.test.ts), run with
 * `node --import jiti/register batch-child.ts <vendorUrl> <dir> <submit|resume>`: `submit` defers the
 * 1,000 requests and submits every job (the test kills it meanwhile); `resume` starts again on the same
 * job store and decision log, drains every job and prints `done`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileBatchJobStore } from '../../../adapters/batch/batch-job-store.js';
import { DeferredBatcher } from '../../../adapters/batch/deferred-batcher.js';
import { AnthropicBatchClient, OpenAIBatchClient } from '../../../adapters/batch/vendor-batch-client.js';
import { JsonlDecisionSink } from '../../../index.js';
import { batchPolicy, deferrable } from './batch-fixtures.js';

const [url, dir, mode] = process.argv.slice(2) as [string, string, 'submit' | 'resume'];
const log = join(dir, 'decisions.jsonl');
const logged = new Set<string>();
if (existsSync(log)) for (const line of readFileSync(log, 'utf8').split('\n')) if (line.trim()) logged.add((JSON.parse(line) as { requestId: string }).requestId);
const sink = new JsonlDecisionSink(log);
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
