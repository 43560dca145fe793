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

/** One dispatched event. `event` is absent when the server sent no `event:` field. */
export interface SseEvent {
  event?: string;
  data: string;
}

/**
 * Yields events from a byte stream as they complete. Stopping the iteration early (break/return)
 * cancels the stream, which closes the underlying connection. Errors from the stream propagate as is.
 */
export async function* parseSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event: string | undefined;
  let data: string[] = [];
  let finished = false;

  /** Applies one complete line; returns an event when the line was blank and one is pending. */
  const takeLine = (line: string): SseEvent | undefined => {
    if (line === '') {
      const out = data.length > 0 ? { ...(event !== undefined && { event }), data: data.join('\n') } : undefined;
      event = undefined;
      data = [];
      return out;
    }
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') data.push(value);
    else if (field === 'event') event = value;
    return undefined;
  };

  try {
    for (;;) {
      const { done, value } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const ch = buffer[i];
        if (ch !== '\n' && ch !== '\r') continue;
        // A CR at the very end may be the first half of a CRLF split across chunks: wait for more.
        if (ch === '\r' && i === buffer.length - 1 && !done) break;
        const out = takeLine(buffer.slice(start, i));
        if (ch === '\r' && buffer[i + 1] === '\n') i++;
        start = i + 1;
        if (out) yield out;
      }
      buffer = buffer.slice(start);
      if (done) {
        finished = true;
        const last = takeLine('');
        if (last) yield last;
        return;
      }
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
