import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryDecisionSink } from '../../adapters/sinks/memory-decision-sink.js';
import { createTollgate } from '../../compose.js';
import type { ToolDefinition } from '../../engine/request.js';
import { ownTools, toolsJson } from '../../engine/tools-json.js';
import { type FakeVendor, startFakeVendor } from '../support/fake-vendor-server.js';
import { httpPolicy } from '../support/policies.js';

const tool = (name: string): ToolDefinition => ({ type: 'function', function: { name, description: `Looks up ${name}.`, parameters: { type: 'object', properties: { id: { type: 'string' } } } } });

describe('toolsJson / ownTools', () => {
  it('is JSON.stringify of the array, made once per array object', () => {
    const tools = [tool('a'), tool('b')];
    expect(toolsJson(tools)).toBe(JSON.stringify(tools));
    expect(toolsJson(tools)).toBe(toolsJson(tools));
  });

  it('gives a request an array of its own and leaves one without tools as it is', () => {
    const tools = [tool('a')];
    const request = { tenant: 't', tools };
    const own = ownTools(request);
    expect(own.tools).not.toBe(tools);
    expect(own.tools).toEqual(tools);
    expect(request.tools).toBe(tools); // the caller's request is not changed
    const none: { tenant: string; tools?: ToolDefinition[] } = { tenant: 't' };
    expect(ownTools(none)).toBe(none);
  });
});

let vendor: FakeVendor;
beforeAll(async () => {
  process.env.TOLLGATE_TEST_KEY = 'sk-test-tools-json';
  vendor = await startFakeVendor();
});
afterAll(async () => vendor.close());

describe('a tools array the caller reuses', () => {
  it('is counted and sent as it is at each request, after the caller changed it', async () => {
    const tg = createTollgate({ policy: httpPolicy(vendor.url, { m1: 'ok' }), decisionLog: new MemoryDecisionSink() });
    const tools = [tool('first')];
    const ask = () => tg.complete({ tenant: 'acme', messages: [{ role: 'user', content: 'look it up' }], tools });
    await ask();
    tools.push(tool('second'));
    await ask();
    const sent = vendor.requests.slice(-2).map((r) => (r.body as { tools: ToolDefinition[] }).tools.map((t) => t.function.name));
    expect(sent).toEqual([['first'], ['first', 'second']]);
    const decided = await tg.decide({ tenant: 'acme', messages: [{ role: 'user', content: 'look it up' }], tools });
    const once = await tg.decide({ tenant: 'acme', messages: [{ role: 'user', content: 'look it up' }], tools: [tool('first')] });
    expect(decided.promptTokens).toBeGreaterThan(once.promptTokens); // the second tool is counted
    await tg.close();
  });
});
