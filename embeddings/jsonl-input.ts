/** The JSONL input of embedding jobs (`{id?, text, tenant?, namespace?}` per line), read in batches. */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { EmbedItem } from './embed-pipeline.js';
import { BatchInputError } from './errors.js';

/** Parses one JSONL line into an item; throws BatchInputError naming the line. */
export function parseEmbedLine(line: string, file: string, lineNumber: number, defaults: { tenant: string; namespace: string }): EmbedItem {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    throw new BatchInputError(file, lineNumber, `not JSON (${(error as Error).message})`);
  }
  const row = value as Record<string, unknown>;
  if (typeof row !== 'object' || row === null || typeof row.text !== 'string') throw new BatchInputError(file, lineNumber, 'expected an object with a string "text"');
  for (const field of ['id', 'tenant', 'namespace'] as const) {
    if (row[field] !== undefined && typeof row[field] !== 'string' && !(field === 'id' && typeof row[field] === 'number')) {
      throw new BatchInputError(file, lineNumber, `"${field}" must be a string`);
    }
  }
  return {
    text: row.text,
    tenant: (row.tenant as string | undefined) ?? defaults.tenant,
    namespace: (row.namespace as string | undefined) ?? defaults.namespace,
    ...(row.id !== undefined ? { id: String(row.id) } : {}),
  };
}

/** Reads a JSONL file in batches of `batchSize` parsed items (blank lines skipped). */
export async function* readJsonlBatches(file: string, batchSize: number, defaults: { tenant: string; namespace: string }): AsyncGenerator<{ items: EmbedItem[]; bytesRead: number; linesRead: number }> {
  const stream = createReadStream(file, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let items: EmbedItem[] = [];
  let lineNumber = 0;
  let bytesRead = 0;
  try {
    for await (const line of lines) {
      lineNumber++;
      bytesRead += Buffer.byteLength(line, 'utf8') + 1;
      if (line.trim() === '') continue;
      items.push(parseEmbedLine(line, file, lineNumber, defaults));
      if (items.length >= batchSize) {
        yield { items, bytesRead, linesRead: lineNumber };
        items = [];
      }
    }
    if (items.length) yield { items, bytesRead, linesRead: lineNumber };
  } finally {
    lines.close();
    stream.destroy();
  }
}
