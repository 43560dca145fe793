/**
 * A server-sent-events parser shared by the HTTP model adapters.
 *
 * Follows the WHATWG event-stream rules that matter for model APIs: lines end in LF, CRLF or CR (a
 * terminator may be split across chunks, and so may a multi-byte UTF-8 character); `event:` names the
 * event; `data:` lines are joined with `\n`; one optional space after the colon is dropped; lines that
 * start with `:` are comments; a blank line dispatches the event. At end of stream, complete lines still
 * pending are dispatched (some servers omit the final blank line), while an unterminated last line is
 * dropped — it is a cut, and the caller notices the missing terminal event.
 */
import { StringDecoder } from 'node:string_decoder';

/** One dispatched event. `event` is absent when the server sent no `event:` field. */
export interface SseEvent {
  event?: string;
  data: string;
}

/**
 * Yields the events each chunk of a byte stream completes, as one array per chunk that completed any (a
 * WHATWG `ReadableStream` or any async iterable of bytes; a Node `IncomingMessage` is read as is, without
 * the cost of a web-stream wrapper). A model server sends several events per network read (a whole short
 * answer often arrives at once), and every step of an async generator costs a promise and a turn of the
 * microtask queue: the adapters take them a chunk at a time. Stopping the iteration early (break/return)
 * cancels the stream (a Node stream is destroyed), which closes the underlying connection. Errors from the
 * stream propagate as is.
 */
export async function* parseSseBatches(body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent[]> {
  const decoder = new StringDecoder('utf8');
  let buffer = '';
  let event: string | undefined;
  let data: string[] = [];

  /** Applies one complete line; returns an event when the line was blank and one is pending. */
  const takeLine = (line: string): SseEvent | undefined => {
    if (line === '') {
      if (data.length === 0) {
        event = undefined;
        return undefined;
      }
      const joined = data.length === 1 ? data[0]! : data.join('\n');
      const out: SseEvent = event !== undefined ? { event, data: joined } : { data: joined };
      event = undefined;
      data = [];
      return out;
    }
    if (line.charCodeAt(0) === 58 /* : */) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32 /* space */) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    return undefined;
  };

  const chunks = (Symbol.asyncIterator in body ? body : readerIterable(body)) as AsyncIterable<Uint8Array>;
  const it = chunks[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await it.next();
      buffer += done ? decoder.end() : decoder.write(value as Buffer);
      const batch: SseEvent[] = [];
      let start = 0;
      if (!buffer.includes('\r')) {
        // LF-only (what model servers send): jump from newline to newline.
        for (let i = buffer.indexOf('\n'); i !== -1; i = buffer.indexOf('\n', start)) {
          const out = takeLine(buffer.slice(start, i));
          start = i + 1;
          if (out) batch.push(out);
        }
      } else {
        for (let i = 0; i < buffer.length; i++) {
          const ch = buffer[i];
          if (ch !== '\n' && ch !== '\r') continue;
          // A CR at the very end may be the first half of a CRLF split across chunks: wait for more.
          if (ch === '\r' && i === buffer.length - 1 && !done) break;
          const out = takeLine(buffer.slice(start, i));
          if (ch === '\r' && buffer[i + 1] === '\n') i++;
          start = i + 1;
          if (out) batch.push(out);
        }
      }
      buffer = start === 0 ? buffer : buffer.slice(start);
      if (done) {
        finished = true;
        const last = takeLine('');
        if (last) batch.push(last);
        if (batch.length) yield batch;
        return;
      }
      if (batch.length) yield batch;
    }
  } finally {
    if (!finished) await it.return?.();
  }
}

/** {@link parseSseBatches}, one event at a time. */
export async function* parseSse(body: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>): AsyncGenerator<SseEvent> {
  for await (const batch of parseSseBatches(body)) yield* batch;
}

/** A ReadableStream as an async iterable whose early return cancels the stream (for runtimes whose streams are not iterable). */
function readerIterable(body: ReadableStream<Uint8Array>): AsyncIterable<Uint8Array> {
  return {
    [Symbol.asyncIterator]() {
      const reader = body.getReader();
      return {
        next: () => reader.read() as Promise<IteratorResult<Uint8Array>>,
        return: async () => {
          await reader.cancel().catch(() => undefined);
          reader.releaseLock();
          return { done: true, value: undefined };
        },
      };
    },
  };
}
