import { describe, expect, it } from 'vitest';
import { topLevelArrayTexts } from '../../gateway/top-level-arrays.js';

const KEYS = new Set(['messages', 'tools']);

/** What the scan must agree with: JSON.parse of each text it returns equals the parsed body's member. */
function agrees(text: string): void {
  const parsed = JSON.parse(text) as Record<string, unknown>;
  const texts = topLevelArrayTexts(text, KEYS);
  expect(texts).toBeDefined();
  for (const key of KEYS) {
    const value = parsed[key];
    if (Array.isArray(value)) expect(JSON.parse(texts!.get(key)!)).toEqual(value);
    else expect(texts!.has(key)).toBe(false);
  }
}

describe('topLevelArrayTexts', () => {
  it('finds the top-level arrays of bodies as clients write them (compact, indented, any key order)', () => {
    const body = {
      model: 'auto',
      messages: [
        { role: 'user', content: 'say "hi" \\ back, [not] {an} "array": [1]' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{"messages":[1,2]}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: '{"rows":[{"a":"\\"quoted\\""}]}' },
      ],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { tools: { type: 'array' } } } } }],
      max_tokens: 12,
      temperature: 0.5,
      stream: false,
      metadata: { messages: 'not this one' },
    };
    agrees(JSON.stringify(body));
    agrees(JSON.stringify(body, null, 2));
    agrees(JSON.stringify({ max_tokens: 1, tools: body.tools, stop: ['x'], messages: body.messages }));
    agrees(` \n\t{ "messages" : [ ] , "tools":[{"a":[[[]]]}] , "n" : 1e3 , "x": true, "y": null }\n`);
  });

  it('keeps the last of duplicate keys, as JSON.parse does, and reads escaped keys', () => {
    agrees('{"messages":[1],"messages":[2]}');
    agrees('{"messages":[1],"messages":"no longer an array"}');
    agrees('{"messag\\u0065s":[3],"tools":[4]}');
    agrees('{"a\\"b":[1],"messages":[{"content":"\\\\"}]}');
  });

  it('finds nothing in bodies without those arrays', () => {
    expect(topLevelArrayTexts('{}', KEYS)?.size).toBe(0);
    expect(topLevelArrayTexts('{"messages":{"0":1}}', KEYS)?.size).toBe(0);
    expect(topLevelArrayTexts('[1,2]', KEYS)).toBeUndefined();
    expect(topLevelArrayTexts('"text"', KEYS)).toBeUndefined();
  });

  it('agrees with JSON.parse on generated bodies', () => {
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
    const pieces = ['"', '\\', '[', ']', '{', '}', ',', ':', 'a', ' ', 'é', '\n', '\u2028', '😀'];
    const str = () => Array.from({ length: rand(12) }, () => pieces[rand(pieces.length)]).join('');
    const value = (depth: number): unknown => {
      const k = rand(depth > 3 ? 4 : 6);
      if (k === 0) return str();
      if (k === 1) return rand(1000) / 7;
      if (k === 2) return [true, false, null][rand(3)];
      if (k === 3) return -rand(50);
      if (k === 4) return Array.from({ length: rand(4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: rand(4) }, () => [str(), value(depth + 1)]));
    };
    for (let i = 0; i < 300; i++) {
      const body: Record<string, unknown> = { model: str() };
      if (rand(4)) body.messages = Array.from({ length: rand(5) }, () => value(1));
      if (rand(2)) body.tools = Array.from({ length: rand(3) }, () => value(1));
      body[str()] = value(0);
      agrees(JSON.stringify(body, null, rand(3)));
    }
  });
});
