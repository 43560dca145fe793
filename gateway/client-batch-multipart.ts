/** One part of a `multipart/form-data` body: its field name, file name (for file parts) and bytes. */
export interface FormPart {
  name: string;
  filename?: string;
  data: Buffer;
}

/** A body that is not the `multipart/form-data` its content type says (no boundary, a part without a name…). */
export class MultipartError extends Error {
  readonly code = 'invalid_multipart';
}

/**
 * Splits a buffered `multipart/form-data` body (RFC 7578) into its parts: what the official OpenAI
 * clients send to `POST /v1/files`. Only `Content-Disposition: form-data; name=…[; filename=…]` is read
 * from each part's headers.
 */
export function parseMultipart(contentType: string, body: Buffer): FormPart[] {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary) throw new MultipartError('multipart/form-data without a boundary');
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: FormPart[] = [];
  let at = body.indexOf(delimiter);
  if (at < 0) throw new MultipartError('multipart body without its boundary');
  for (;;) {
    at += delimiter.length;
    if (body.subarray(at, at + 2).toString() === '--') break; // the closing delimiter
    if (body.subarray(at, at + 2).toString() !== '\r\n') throw new MultipartError('malformed multipart delimiter line');
    at += 2;
    const headerEnd = body.indexOf('\r\n\r\n', at);
    if (headerEnd < 0) throw new MultipartError('multipart part without a header end');
    const headers = body.subarray(at, headerEnd).toString('utf8');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next < 0) throw new MultipartError('multipart body without its closing boundary');
    const disposition = /^content-disposition:\s*form-data(.*)$/im.exec(headers)?.[1] ?? '';
    const name = /;\s*name="([^"]*)"/i.exec(disposition)?.[1] ?? /;\s*name=([^;\s]+)/i.exec(disposition)?.[1];
    if (name === undefined) throw new MultipartError('a multipart part without a form-data name');
    const filename = /;\s*filename="([^"]*)"/i.exec(disposition)?.[1];
    parts.push({ name, ...(filename !== undefined && { filename }), data: body.subarray(headerEnd + 4, next) });
    at = next + 2;
  }
  return parts;
}
