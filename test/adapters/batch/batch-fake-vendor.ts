import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Line {
  custom_id: string;
  body: { model: string; max_tokens: number; messages: { content: string }[] };
}
interface Batch {
  id: string;
  vendor: 'openai' | 'anthropic';
  lines: Line[];
  status: 'in_progress' | 'completed' | 'expired';
  createdAt: number;
  metadata?: Record<string, string>;
  polls: number;
  outputFileId?: string;
  errorFileId?: string;
}

/** Usage the fake reports for a line: prompt = characters ÷ 4, output = min(max_tokens, 40). */
export const fakeUsage = (l: Line) => ({ input: Math.ceil(l.body.messages.reduce((a, m) => a + m.content.length, 0) / 4), output: Math.min(l.body.max_tokens, 40) });

/** The answer text the fake gives a line: `batch answer to <custom_id> (<model>)`. */
export const fakeAnswer = (l: Line) => `batch answer to ${l.custom_id} (${l.body.model})`;

/**
 * A fake vendor on 127.0.0.1 speaking both batch protocols as documented: OpenAI (`POST /v1/files` multipart
 * purpose=batch, `POST/GET /v1/batches`, `GET /v1/files/{id}/content`, output and error files) and Anthropic
 * Message Batches (`POST/GET /v1/messages/batches`, `…/{id}/results` JSONL). A batch completes after
 * `completeAfterPolls` polls; `failIds` lines fail; `expire` makes a batch expire; `noisy` adds a result for
 * an unknown id and a malformed line to every output; `holdCreate` (1-based) records that create call but
 * never answers it (a client killed mid-submit).
 */
export class FakeBatchVendor {
  readonly batches: Batch[] = [];
  readonly files = new Map<string, string>();
  creates = 0;
  completeAfterPolls = 1;
  failIds = new Set<string>();
  noisy = false;
  holdCreate = 0;
  expireNext = false;
  url = '';
  private server?: Server;
  private n = 0;

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res).catch((e) => res.writeHead(500).end(String(e))));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
    return this;
  }

  close(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((r) => this.server!.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    const url = new URL(req.url!, this.url);
    const json = (status: number, v: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(v));
    };
    const p = url.pathname;
    if (req.method === 'POST' && p === '/v1/files') {
      if (req.headers.authorization !== 'Bearer sk-test') return json(401, { error: { message: 'bad key' } });
      const form = await new Response(raw, { headers: { 'content-type': req.headers['content-type']! } }).formData();
      if (form.get('purpose') !== 'batch') return json(400, { error: { message: 'purpose must be batch' } });
      const id = `file_${++this.n}`;
      this.files.set(id, await (form.get('file') as Blob).text());
      return json(200, { id, object: 'file', purpose: 'batch' });
    }
    if (req.method === 'POST' && p === '/v1/batches') {
      const b = JSON.parse(raw.toString()) as { input_file_id: string; endpoint: string; completion_window: string; metadata?: Record<string, string> };
      const text = this.files.get(b.input_file_id);
      if (!text || b.endpoint !== '/v1/chat/completions' || b.completion_window !== '24h') return json(400, { error: { message: 'bad batch' } });
      const lines = text.split('\n').map((l) => JSON.parse(l) as Line);
      return this.create('openai', lines, b.metadata, res, (batch) => json(200, this.openaiView(batch)));
    }
    if (req.method === 'GET' && p === '/v1/batches') return json(200, { object: 'list', data: this.batches.filter((b) => b.vendor === 'openai').map((b) => this.openaiView(b)) });
    let m = /^\/v1\/batches\/([\w-]+)$/.exec(p);
    if (req.method === 'GET' && m) {
      const b = this.poll(m[1]!);
      return b ? json(200, this.openaiView(b)) : json(404, { error: { message: 'no batch' } });
    }
    m = /^\/v1\/files\/([\w-]+)\/content$/.exec(p);
    if (req.method === 'GET' && m) return this.files.has(m[1]!) ? void res.writeHead(200, { 'content-type': 'application/jsonl' }).end(this.files.get(m[1]!)) : json(404, {});
    if (p.startsWith('/v1/messages/batches') && req.headers['x-api-key'] !== 'sk-ant-test') return json(401, { type: 'error', error: { type: 'authentication_error', message: 'bad key' } });
    if (req.method === 'POST' && p === '/v1/messages/batches') {
      const b = JSON.parse(raw.toString()) as { requests: { custom_id: string; params: Line['body'] }[] };
      return this.create('anthropic', b.requests.map((r) => ({ custom_id: r.custom_id, body: r.params })), undefined, res, (batch) => json(200, this.anthropicView(batch)));
    }
    if (req.method === 'GET' && p === '/v1/messages/batches') return json(200, { data: this.batches.filter((b) => b.vendor === 'anthropic').map((b) => this.anthropicView(b)), has_more: false });
    m = /^\/v1\/messages\/batches\/([\w-]+)(\/results)?$/.exec(p);
    if (req.method === 'GET' && m) {
      const b = m[2] ? this.batches.find((x) => x.id === m![1]) : this.poll(m[1]!);
      if (!b) return json(404, {});
      if (!m[2]) return json(200, this.anthropicView(b));
      return void res.writeHead(200, { 'content-type': 'application/binary' }).end(this.anthropicResults(b));
    }
    json(404, { error: { message: `no route ${req.method} ${p}` } });
  }

  private create(vendor: Batch['vendor'], lines: Line[], metadata: Record<string, string> | undefined, res: ServerResponse, answer: (b: Batch) => void): void {
    this.creates++;
    const batch: Batch = { id: `${vendor === 'openai' ? 'batch' : 'msgbatch'}_${++this.n}`, vendor, lines, status: 'in_progress', createdAt: Date.now(), metadata, polls: 0 };
    if (this.expireNext) {
      batch.status = 'expired';
      this.expireNext = false;
    }
    this.batches.push(batch);
    if (this.creates === this.holdCreate) return; // created, never answered
    answer(batch);
  }

  private poll(id: string): Batch | undefined {
    const b = this.batches.find((x) => x.id === id);
    if (b && b.status === 'in_progress' && ++b.polls >= this.completeAfterPolls) this.complete(b);
    return b;
  }

  private complete(b: Batch): void {
    b.status = 'completed';
    if (b.vendor !== 'openai') return;
    const ok: string[] = [];
    const bad: string[] = [];
    for (const l of b.lines) {
      const u = fakeUsage(l);
      if (this.failIds.has(l.custom_id)) bad.push(JSON.stringify({ id: `r_${l.custom_id}`, custom_id: l.custom_id, response: { status_code: 400, body: { error: { code: 'invalid_request', message: 'bad line' } } }, error: null }));
      else ok.push(JSON.stringify({ id: `r_${l.custom_id}`, custom_id: l.custom_id, response: { status_code: 200, body: { object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: fakeAnswer(l) }, finish_reason: 'stop' }], usage: { prompt_tokens: u.input, completion_tokens: u.output, total_tokens: u.input + u.output } } }, error: null }));
    }
    if (this.noisy) ok.push(JSON.stringify({ custom_id: 'nobody', response: { status_code: 200, body: { usage: { prompt_tokens: 1, completion_tokens: 1 } } } }), '{not json');
    b.outputFileId = `file_${++this.n}`;
    this.files.set(b.outputFileId, ok.join('\n'));
    if (bad.length) this.files.set((b.errorFileId = `file_${++this.n}`), bad.join('\n'));
  }

  private openaiView(b: Batch) {
    return { id: b.id, object: 'batch', endpoint: '/v1/chat/completions', status: b.status, metadata: b.metadata ?? null, output_file_id: b.outputFileId ?? null, error_file_id: b.errorFileId ?? null, request_counts: { total: b.lines.length, completed: 0, failed: 0 } };
  }

  private anthropicView(b: Batch) {
    const n = b.lines.length;
    const ended = b.status !== 'in_progress';
    return {
      id: b.id,
      type: 'message_batch',
      processing_status: ended ? 'ended' : 'in_progress',
      created_at: new Date(b.createdAt).toISOString(),
      request_counts: ended ? { processing: 0, succeeded: n, errored: 0, canceled: 0, expired: 0 } : { processing: n, succeeded: 0, errored: 0, canceled: 0, expired: 0 },
      results_url: ended ? `${this.url}/v1/messages/batches/${b.id}/results` : null,
    };
  }

  private anthropicResults(b: Batch): string {
    const out = b.lines.map((l) => {
      const u = fakeUsage(l);
      if (b.status === 'expired') return JSON.stringify({ custom_id: l.custom_id, result: { type: 'expired' } });
      if (this.failIds.has(l.custom_id)) return JSON.stringify({ custom_id: l.custom_id, result: { type: 'errored', error: { type: 'invalid_request_error', message: 'bad line' } } });
      return JSON.stringify({ custom_id: l.custom_id, result: { type: 'succeeded', message: { id: `msg_${l.custom_id}`, type: 'message', content: [{ type: 'text', text: fakeAnswer(l) }], stop_reason: 'end_turn', usage: { input_tokens: u.input, output_tokens: u.output } } } });
    });
    if (this.noisy) out.push(JSON.stringify({ custom_id: 'nobody', result: { type: 'succeeded', message: { usage: { input_tokens: 1, output_tokens: 1 } } } }), '[1,2');
    return out.join('\n');
  }
}
