import { describe, expect, it } from 'vitest';
import { parseSse, type SseEvent } from '../../adapters/sse.js';

/** A byte stream delivering `text` in pieces of `size` bytes (so lines and characters split anywhere). */
function bytes(text: string, size: number): ReadableStream<Uint8Array> {
  const all = new TextEncoder().encode(text);
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= all.length) return controller.close();
      controller.enqueue(all.slice(at, at + size));
      at += size;
    },
  });
}

async function events(text: string, size = 1): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const e of parseSse(bytes(text, size))) out.push(e);
  return out;
}

describe('parseSse', () => {
  const stream = ': comment\nevent: message_start\ndata: {"a":"é€😀"}\n\ndata:  two spaces\ndata:x\n\nid: 7\nretry: 10\n\ndata: [DONE]\n\n';
  const expected = [{ event: 'message_start', data: '{"a":"é€😀"}' }, { data: ' two spaces\nx' }, { data: '[DONE]' }];

  it('parses events however the bytes are split', async () => {
    for (const size of [1, 2, 3, 7, 1000]) expect(await events(stream, size)).toEqual(expected);
  });

  it('accepts CRLF and CR line endings, including a CRLF split across chunks', async () => {
    for (const size of [1, 2, 5]) {
      expect(await events(stream.replaceAll('\n', '\r\n'), size)).toEqual(expected);
      expect(await events(stream.replaceAll('\n', '\r'), size)).toEqual(expected);
    }
  });

  it('dispatches complete lines pending at end of stream, and drops an unterminated last line', async () => {
    expect(await events('data: [DONE]\n')).toEqual([{ data: '[DONE]' }]);
    expect(await events('data: a\n\ndata: {"cut')).toEqual([{ data: 'a' }]);
  });

  it('cancels the source when the consumer stops early', async () => {
    let cancelled = false;
    const source = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('data: 1\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const e of parseSse(source)) {
      expect(e.data).toBe('1');
      break;
    }
    expect(cancelled).toBe(true);
  });
});
