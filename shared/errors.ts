/**
 * What the lower layers (store, capture, spotify, lyrics, listeners, stats) throw when a request
 * cannot be served as asked. They know nothing of HTTP: one table (shared/http/errors.ts) turns
 * each class into a status, an `error` code and headers, so a status is decided in one place.
 */

/** One bad input, named as `query.cursor`, `body.username`, … (the error body's `fields`). */
export interface FieldProblem {
  field: string;
  message: string;
}

/** The thing asked for does not exist (or is not the caller's to see). */
export class NotFoundError extends Error {
  override readonly name = "NotFoundError";
}

/** The input was read but is not acceptable (a tampered cursor, an unknown option). */
export class InvalidInputError extends Error {
  override readonly name = "InvalidInputError";
  readonly fields: FieldProblem[] | undefined;
  constructor(message: string, fields?: FieldProblem[]) {
    super(message);
    this.fields = fields;
  }
}

/** The request clashes with the current state; `code` says which state (`spotify_not_linked`, …). */
export class ConflictError extends Error {
  override readonly name = "ConflictError";
  readonly code: string;
  constructor(message: string, code = "conflict") {
    super(message);
    this.code = code;
  }
}

/** The caller may not do this; `code` says why (`owner_only`, …). */
export class ForbiddenError extends Error {
  override readonly name = "ForbiddenError";
  readonly code: string;
  constructor(message: string, code = "forbidden") {
    super(message);
    this.code = code;
  }
}

/** Someone (Spotify, a login limit) asks us to slow down: retry after that many seconds. */
export class RateLimitedError extends Error {
  override readonly name = "RateLimitedError";
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super(message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A setting this needs is not set: the operator's to fix, named in the message. */
export class NotConfiguredError extends Error {
  override readonly name = "NotConfiguredError";
  readonly settings: readonly string[];
  constructor(message: string, settings: readonly string[]) {
    super(message);
    this.settings = settings;
  }
}

/**
 * An outside service the request needed (Spotify) could not be reached or answered wrongly.
 * Our own infrastructure's outages are DependencyUnavailableError (shared/outage.ts).
 */
export class ServiceUnavailableError extends Error {
  override readonly name = "ServiceUnavailableError";
  readonly service: string;
  constructor(service: string, message: string) {
    super(message);
    this.service = service;
  }
}
