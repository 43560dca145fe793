/**
 * Every error Tollgate throws extends {@link TollgateError} and carries a stable string `code`
 * plus the data a caller needs to act on it. Codes are part of the public API: never rename one.
 */
export class TollgateError extends Error {
  readonly code: string;
  readonly details: Record<string, unknown>;
  constructor(code: string, message: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, ...this.details };
  }
}

/** One failing field of a policy (or any validated input): a dotted path and what is wrong. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** A policy file failed to parse or validate. `issues` lists every failing field path. */
export class PolicyError extends TollgateError {
  readonly file: string | undefined;
  readonly issues: FieldIssue[];
  constructor(file: string | undefined, issues: FieldIssue[], message?: string) {
    const where = file ?? '<inline policy>';
    const list = issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`).join('\n');
    super('policy_invalid', message ?? `Invalid policy ${where}:\n${list}`, { file: where, issues });
    this.file = file;
    this.issues = issues;
  }
}

export function toFieldIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): FieldIssue[] {
  return issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}
