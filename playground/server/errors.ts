import { TollgateError, type FieldIssue } from '../../index.js';

/**
 * A playground API failure with the HTTP status to answer. Bodies are always
 * `{ error: code, message, issues? }`; the server never answers a stack trace.
 */
export class PlaygroundHttpError extends TollgateError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    readonly issues?: FieldIssue[],
  ) {
    super(code, message, issues ? { status, issues } : { status });
  }
}

/** The SPA has not been built: the server still answers the API but explains how to build the page. */
export class PlaygroundDistMissingError extends TollgateError {
  constructor(readonly distDir: string) {
    super('playground_dist_missing', `The playground page is not built (no ${distDir}/index.html): run npm run build:playground`, { distDir });
  }
}

/** Body of every error answer. */
export interface ErrorBody {
  error: string;
  message: string;
  issues?: FieldIssue[];
}

export const badRequest = (message: string, issues?: FieldIssue[]): PlaygroundHttpError =>
  new PlaygroundHttpError(400, 'bad_request', message, issues);

export const notFound = (what: string): PlaygroundHttpError => new PlaygroundHttpError(404, 'not_found', `${what} not found`);
