import { TollgateError } from '../../engine/errors.js';

/** The database could not be reached or refused the connection (wrong URL, host down, bad credentials). */
export class DatabaseUnavailableError extends TollgateError {
  constructor(url: string, cause: unknown) {
    const reason = cause instanceof Error ? cause.message || (cause as NodeJS.ErrnoException).code || cause.name : String(cause);
    super('db_unavailable', `Cannot connect to PostgreSQL at ${redactUrl(url)}: ${reason}`, { url: redactUrl(url) }, { cause });
  }
}

/** The database holds a schema newer than this build knows: refuse rather than write in a format it may not read. */
export class SchemaTooNewError extends TollgateError {
  constructor(readonly found: number, readonly supported: number, schema: string) {
    super('db_schema_too_new', `PostgreSQL schema "${schema}" is at version ${found}, newer than this Tollgate supports (${supported}); upgrade Tollgate`, {
      found,
      supported,
      schema,
    });
  }
}

/** A record that does not match the decision record schema: never inserted. */
export class InvalidDecisionRecordError extends TollgateError {
  constructor(reason: string, requestId?: string) {
    super('decision_record_invalid', `Decision record${requestId ? ` ${requestId}` : ''} is invalid, not written: ${reason}`, { requestId, reason });
  }
}

/** `postgres://user:secret@host/db` → `postgres://user:***@host/db`. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}
