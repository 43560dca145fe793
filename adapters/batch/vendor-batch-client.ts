import { TollgateError } from '../../policies/errors.js';
import type { BatchJob, BatchLine } from './batch-job-store.js';

/** What a vendor's batch reports when polled. */
export type VendorBatchStatus = 'in_progress' | 'completed' | 'expired' | 'failed';

/** One line of a finished batch's results. */
export type VendorResultLine =
  | { customId: string; ok: true; usage: { inputTokens: number; outputTokens: number }; text?: string; finishReason?: string }
  | { customId: string; ok: false; code: string; message: string };

/**
 * A vendor batch API (OpenAI files + batches, Anthropic Message Batches) as the batcher drives it.
 * `submit` creates the batch (uploading its input first where the protocol needs it) tagged with the
 * job id; `find` looks for a batch of that job already created (resuming a job saved in `submitting`);
 * `results` returns the finished batch's lines and the lines it could not read.
 */
export interface VendorBatchClient {
  readonly vendor: 'openai' | 'anthropic';
  submit(job: BatchJob): Promise<string>;
  find(job: BatchJob): Promise<string | undefined>;
  poll(batchId: string): Promise<VendorBatchStatus>;
  results(batchId: string): Promise<{ lines: VendorResultLine[]; malformed: string[] }>;
}

/** A batch API call the vendor refused or that did not answer (code `vendor_batch_failed`). */
export class VendorBatchError extends TollgateError {
  constructor(message: string) {
    super('vendor_batch_failed', message);
  }
}

async function call(url: string, init: RequestInit): Promise<Response> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new VendorBatchError(`${init.method ?? 'GET'} ${url}: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
  return res;
}

/** Reads JSONL text; lines that are not JSON objects go to `malformed`. */
function jsonl(text: string, malformed: string[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const v = JSON.parse(line) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) out.push(v as Record<string, unknown>);
      else malformed.push(line.slice(0, 200));
    } catch {
      malformed.push(line.slice(0, 200));
    }
  }
  return out;
}

const body = (l: BatchLine) => ({ model: l.upstreamModel, messages: l.messages, max_tokens: l.maxOutputTokens });

/** OpenAI's Batch API: `POST /v1/files` (purpose batch, JSONL), `POST /v1/batches`, `GET /v1/batches/{id}`, `GET /v1/files/{id}/content`. */
export class OpenAIBatchClient implements VendorBatchClient {
  readonly vendor = 'openai' as const;
  constructor(private readonly o: { baseUrl: string; apiKey: string }) {}

  private headers(): Record<string, string> {
    return { authorization: `Bearer ${this.o.apiKey}` };
  }

  async submit(job: BatchJob): Promise<string> {
    const input = job.lines.map((l) => JSON.stringify({ custom_id: l.customId, method: 'POST', url: '/v1/chat/completions', body: body(l) })).join('\n');
    const form = new FormData();
    form.set('purpose', 'batch');
    form.set('file', new Blob([input], { type: 'application/jsonl' }), `${job.id}.jsonl`);
    const file = (await (await call(`${this.o.baseUrl}/v1/files`, { method: 'POST', headers: this.headers(), body: form })).json()) as { id: string };
    const batch = (await (
      await call(`${this.o.baseUrl}/v1/batches`, {
        method: 'POST',
        headers: { ...this.headers(), 'content-type': 'application/json' },
        body: JSON.stringify({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', metadata: { tollgate_job: job.id } }),
      })
    ).json()) as { id: string };
    return batch.id;
  }

  async find(job: BatchJob): Promise<string | undefined> {
    const page = (await (await call(`${this.o.baseUrl}/v1/batches?limit=100`, { headers: this.headers() })).json()) as { data: { id: string; metadata?: Record<string, string> }[] };
    return page.data.find((b) => b.metadata?.tollgate_job === job.id)?.id;
  }

  async poll(batchId: string): Promise<VendorBatchStatus> {
    const b = (await (await call(`${this.o.baseUrl}/v1/batches/${batchId}`, { headers: this.headers() })).json()) as { status: string };
    if (b.status === 'completed') return 'completed';
    if (b.status === 'expired') return 'expired';
    if (b.status === 'failed' || b.status === 'cancelled') return 'failed';
    return 'in_progress'; // validating, in_progress, finalizing, cancelling
  }

  async results(batchId: string): Promise<{ lines: VendorResultLine[]; malformed: string[] }> {
    const b = (await (await call(`${this.o.baseUrl}/v1/batches/${batchId}`, { headers: this.headers() })).json()) as { output_file_id?: string | null; error_file_id?: string | null };
    const malformed: string[] = [];
    const lines: VendorResultLine[] = [];
    for (const fileId of [b.output_file_id, b.error_file_id]) {
      if (!fileId) continue;
      const text = await (await call(`${this.o.baseUrl}/v1/files/${fileId}/content`, { headers: this.headers() })).text();
      for (const r of jsonl(text, malformed)) {
        const id = typeof r.custom_id === 'string' ? r.custom_id : undefined;
        const resp = r.response as {
          status_code?: number;
          body?: { usage?: { prompt_tokens?: number; completion_tokens?: number }; choices?: { message?: { content?: string | null }; finish_reason?: string }[]; error?: { code?: string; message?: string } };
        } | null | undefined;
        const err = r.error as { code?: string; message?: string } | null | undefined;
        if (!id) malformed.push(JSON.stringify(r).slice(0, 200));
        else if (resp?.status_code === 200 && resp.body?.usage) {
          const choice = resp.body.choices?.[0];
          lines.push({
            customId: id, ok: true, usage: { inputTokens: resp.body.usage.prompt_tokens ?? 0, outputTokens: resp.body.usage.completion_tokens ?? 0 },
            ...(typeof choice?.message?.content === 'string' && { text: choice.message.content }), ...(choice?.finish_reason && { finishReason: choice.finish_reason }),
          });
        }
        else lines.push({ customId: id, ok: false, code: err?.code ?? resp?.body?.error?.code ?? `http_${resp?.status_code ?? 'error'}`, message: err?.message ?? resp?.body?.error?.message ?? 'batch line failed' });
      }
    }
    return { lines, malformed };
  }
}

/** Anthropic's Message Batches: `POST /v1/messages/batches`, `GET /v1/messages/batches/{id}`, its `results_url` (JSONL). */
export class AnthropicBatchClient implements VendorBatchClient {
  readonly vendor = 'anthropic' as const;
  constructor(private readonly o: { baseUrl: string; apiKey: string }) {}

  private headers(): Record<string, string> {
    return { 'x-api-key': this.o.apiKey, 'anthropic-version': '2023-06-01', 'content-type': 'application/json' };
  }

  async submit(job: BatchJob): Promise<string> {
    const requests = job.lines.map((l) => ({ custom_id: l.customId, params: body(l) }));
    const b = (await (await call(`${this.o.baseUrl}/v1/messages/batches`, { method: 'POST', headers: this.headers(), body: JSON.stringify({ requests }) })).json()) as { id: string };
    return b.id;
  }

  /**
   * Message Batches carry no metadata: a batch of this job is one created since the job began
   * submitting with the same number of requests (the recent page only).
   */
  async find(job: BatchJob): Promise<string | undefined> {
    const page = (await (await call(`${this.o.baseUrl}/v1/messages/batches?limit=100`, { headers: this.headers() })).json()) as {
      data: { id: string; created_at: string; request_counts: Record<string, number> }[];
    };
    const since = job.submittingAt ?? job.createdAt;
    const match = page.data.filter((b) => Date.parse(b.created_at) >= since - 1_000 && Object.values(b.request_counts).reduce((a, n) => a + n, 0) === job.lines.length);
    return match.length === 1 ? match[0]!.id : undefined;
  }

  async poll(batchId: string): Promise<VendorBatchStatus> {
    const b = (await (await call(`${this.o.baseUrl}/v1/messages/batches/${batchId}`, { headers: this.headers() })).json()) as { processing_status: string };
    return b.processing_status === 'ended' ? 'completed' : 'in_progress'; // expiry is per line in the results
  }

  async results(batchId: string): Promise<{ lines: VendorResultLine[]; malformed: string[] }> {
    const b = (await (await call(`${this.o.baseUrl}/v1/messages/batches/${batchId}`, { headers: this.headers() })).json()) as { results_url?: string };
    const url = b.results_url ?? `${this.o.baseUrl}/v1/messages/batches/${batchId}/results`;
    const text = await (await call(url, { headers: this.headers() })).text();
    const malformed: string[] = [];
    const lines: VendorResultLine[] = [];
    for (const r of jsonl(text, malformed)) {
      const id = typeof r.custom_id === 'string' ? r.custom_id : undefined;
      const res = r.result as {
        type?: string;
        message?: { usage?: { input_tokens?: number; output_tokens?: number }; content?: { type?: string; text?: string }[]; stop_reason?: string };
        error?: { type?: string; message?: string };
      } | undefined;
      if (!id || !res?.type) malformed.push(JSON.stringify(r).slice(0, 200));
      else if (res.type === 'succeeded' && res.message?.usage) {
        const text = res.message.content?.filter((c) => c.type === 'text').map((c) => c.text ?? '').join('');
        const finish = res.message.stop_reason === 'max_tokens' ? 'length' : res.message.stop_reason ? 'stop' : undefined;
        lines.push({ customId: id, ok: true, usage: { inputTokens: res.message.usage.input_tokens ?? 0, outputTokens: res.message.usage.output_tokens ?? 0 }, ...(text !== undefined && { text }), ...(finish && { finishReason: finish }) });
      }
      else lines.push({ customId: id, ok: false, code: res.type === 'errored' ? (res.error?.type ?? 'errored') : res.type, message: res.error?.message ?? `batch line ${res.type}` });
    }
    return { lines, malformed };
  }
}
