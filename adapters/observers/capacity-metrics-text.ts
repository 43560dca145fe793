import { TollgateError } from '../../policies/errors.js';

/**
 * A small exact parser of the Prometheus text exposition format (version 0.0.4), for the capacity
 * monitor: `# HELP` / `# TYPE` lines, other comments, and samples
 * `name{label="value",…} value [timestamp]` with the format's label-value escapes (`\\`, `\"`, `\n`),
 * an optional trailing comma in the label set, `NaN`, `+Inf`, `-Inf`, and blanks or tabs between
 * tokens. A line it cannot read is a `PrometheusTextError` naming the line (a half-read scrape is
 * worse than none). Tested against the spec's example and the `parse-prometheus-text-format` package.
 */

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
}

export interface PromExposition {
  samples: PromSample[];
  /** `# TYPE` per metric family name (counter, gauge, histogram, summary, untyped). */
  types: Map<string, string>;
  help: Map<string, string>;
}

/** A scrape body that is not the text format; code `prometheus_text_invalid`, `line` is 1-based. */
export class PrometheusTextError extends TollgateError {
  constructor(
    readonly line: number,
    reason: string,
  ) {
    super('prometheus_text_invalid', `metrics line ${line}: ${reason}`, { line });
  }
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;

export function parsePrometheusText(text: string): PromExposition {
  const out: PromExposition = { samples: [], types: new Map(), help: new Map() };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    const line = raw.replace(/^[ \t]+/, '');
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^#[ \t]+(HELP|TYPE)[ \t]+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:[ \t]+(.*))?$/.exec(line);
      if (m) {
        if (m[1] === 'TYPE') out.types.set(m[2]!, (m[3] ?? 'untyped').trim());
        else out.help.set(m[2]!, unescapeHelp(m[3] ?? ''));
      }
      continue;
    }
    out.samples.push(parseSample(line, i + 1));
  }
  return out;
}

function parseSample(line: string, n: number): PromSample {
  const nm = NAME.exec(line);
  if (!nm) throw new PrometheusTextError(n, 'expected a metric name');
  const name = nm[0];
  let pos = name.length;
  const labels: Record<string, string> = {};
  const skipBlanks = (): void => {
    while (line[pos] === ' ' || line[pos] === '\t') pos++;
  };
  skipBlanks();
  if (line[pos] === '{') {
    pos++;
    for (;;) {
      skipBlanks();
      if (line[pos] === '}') {
        pos++;
        break;
      }
      const lm = LABEL.exec(line.slice(pos));
      if (!lm) throw new PrometheusTextError(n, `expected a label name at column ${pos + 1}`);
      pos += lm[0].length;
      skipBlanks();
      if (line[pos] !== '=') throw new PrometheusTextError(n, `expected = after label ${lm[0]}`);
      pos++;
      skipBlanks();
      if (line[pos] !== '"') throw new PrometheusTextError(n, `expected " to open the value of label ${lm[0]}`);
      pos++;
      let value = '';
      for (;;) {
        const c = line[pos];
        if (c === undefined) throw new PrometheusTextError(n, `unterminated value of label ${lm[0]}`);
        pos++;
        if (c === '"') break;
        if (c === '\\') {
          const e = line[pos++];
          if (e === 'n') value += '\n';
          else if (e === '\\' || e === '"') value += e;
          else throw new PrometheusTextError(n, `bad escape \\${e ?? ''} in label ${lm[0]}`);
        } else value += c;
      }
      labels[lm[0]] = value;
      skipBlanks();
      if (line[pos] === ',') pos++;
      else if (line[pos] !== '}') throw new PrometheusTextError(n, `expected , or } after label ${lm[0]}`);
    }
  }
  const rest = line.slice(pos).trim().split(/[ \t]+/);
  if (rest.length < 1 || rest.length > 2 || rest[0] === '') throw new PrometheusTextError(n, 'expected a value and an optional timestamp');
  const value = parseValue(rest[0]!);
  if (value === undefined) throw new PrometheusTextError(n, `"${rest[0]}" is not a number`);
  const sample: PromSample = { name, labels, value };
  if (rest.length === 2) {
    if (!/^-?\d+$/.test(rest[1]!)) throw new PrometheusTextError(n, `"${rest[1]}" is not a timestamp (integer ms)`);
    sample.timestampMs = Number(rest[1]);
  }
  return sample;
}

function parseValue(s: string): number | undefined {
  if (s === 'NaN') return Number.NaN;
  if (s === '+Inf' || s === 'Inf') return Number.POSITIVE_INFINITY;
  if (s === '-Inf') return Number.NEGATIVE_INFINITY;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return undefined;
  return Number(s);
}

function unescapeHelp(s: string): string {
  return s.replace(/\\(\\|n)/g, (_m, c: string) => (c === 'n' ? '\n' : '\\'));
}

/** Σ of the values of every sample named `name` (all label sets), or `undefined` when there is none. */
export function sumOf(expo: PromExposition, name: string): number | undefined {
  let total: number | undefined;
  for (const s of expo.samples) if (s.name === name) total = (total ?? 0) + s.value;
  return total;
}
