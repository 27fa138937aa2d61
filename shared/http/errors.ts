import * as z from "zod";
import { ConfigError } from "../config.ts";
import {
  ConflictError,
  ForbiddenError,
  InvalidInputError,
  NotConfiguredError,
  NotFoundError,
  RateLimitedError,
  ServiceUnavailableError,
} from "../errors.ts";
import { IntegrationError } from "../lyrics/faults.ts";
import { DependencyUnavailableError } from "../outage.ts";

/**
 * One error shape for every route: `{ error, message, fields? }`. `error` is a stable
 * machine-readable code, `message` is for people, `fields` names each bad input.
 */
export const errorBodySchema = z
  .object({
    error: z.string().describe("Stable machine-readable code, e.g. `validation_failed`."),
    message: z.string(),
    fields: z
      .array(z.object({ field: z.string(), message: z.string() }))
      .optional()
      .describe("One entry per bad input, named as `body.username`, `query.limit`, …"),
  })
  .meta({ id: "Error" });
export type ErrorBody = z.infer<typeof errorBodySchema>;

export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: ErrorBody["fields"];
  readonly headers: Record<string, string>;
  constructor(
    status: number,
    code: string,
    message: string,
    extra: { fields?: ErrorBody["fields"]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = "HttpError";
    this.status = status;
    this.code = code;
    this.fields = extra.fields;
    this.headers = extra.headers ?? {};
  }
  toBody(): ErrorBody {
    return this.fields
      ? { error: this.code, message: this.message, fields: this.fields }
      : { error: this.code, message: this.message };
  }
}

export const badRequest = (message: string, fields?: ErrorBody["fields"]) =>
  new HttpError(400, "bad_request", message, { fields });
export const unprocessable = (message: string, fields?: ErrorBody["fields"]) =>
  new HttpError(422, "validation_failed", message, { fields });
export const unauthorized = (message: string) =>
  new HttpError(401, "unauthorized", message, { headers: { "WWW-Authenticate": 'Bearer realm="hoardify"' } });
export const forbidden = (message: string, code = "forbidden") => new HttpError(403, code, message);
export const notFound = (message: string) => new HttpError(404, "not_found", message);
export const conflict = (message: string) => new HttpError(409, "conflict", message);
export const tooManyRequests = (message: string, retryAfterSeconds: number) =>
  new HttpError(429, "rate_limited", message, {
    headers: { "Retry-After": String(Math.max(1, Math.ceil(retryAfterSeconds))) },
  });
export const unavailable = (message: string, code = "unavailable") => new HttpError(503, code, message);

/** How long a client should wait before retrying after an outage: a blip, not a long repair. */
export const OUTAGE_RETRY_AFTER_SECONDS = 5;

/** A dependency that is down or stalled: 503, `error` naming it (`storage_unavailable`, …). */
export function outage(err: DependencyUnavailableError): HttpError {
  return new HttpError(
    503,
    `${err.dependency}_unavailable`,
    `${err.message}; the request was not completed, retry in a few seconds`,
    { headers: { "Retry-After": String(OUTAGE_RETRY_AFTER_SECONDS) } },
  );
}

/** How a fault of LRCLIB, Genius or Hugging Face reads over HTTP, the same on every route. */
function integrationFault(err: IntegrationError): HttpError {
  const f = err.fault;
  switch (f.type) {
    case "not_configured":
      return unavailable(err.message, "not_configured");
    case "rate_limited":
      return tooManyRequests(err.message, f.retryAfterSeconds);
    case "loading":
      return new HttpError(503, "model_loading", err.message, {
        headers: { "Retry-After": String(Math.max(1, f.estimatedSeconds)) },
      });
    case "unavailable":
      return unavailable(err.message, `${err.service}_unavailable`);
  }
}

/**
 * Every error the lower layers throw (shared/errors.ts, and the adapters' own), by class. The
 * table below must have a row for each: a class added here without one does not compile.
 */
export const domainErrorClasses = {
  NotFoundError,
  InvalidInputError,
  ConflictError,
  ForbiddenError,
  RateLimitedError,
  NotConfiguredError,
  ServiceUnavailableError,
  DependencyUnavailableError,
  IntegrationError,
  ConfigError,
} as const;
type DomainErrorClasses = typeof domainErrorClasses;
export type DomainErrorName = keyof DomainErrorClasses;
export type DomainErrorOf<K extends DomainErrorName> = InstanceType<DomainErrorClasses[K]>;

/** The one table from a domain error to its status, `error` code and headers. */
export const errorTable: { [K in DomainErrorName]: (err: DomainErrorOf<K>) => HttpError } = {
  NotFoundError: (e) => notFound(e.message),
  InvalidInputError: (e) => badRequest(e.message, e.fields),
  ConflictError: (e) => new HttpError(409, e.code, e.message),
  ForbiddenError: (e) => forbidden(e.message, e.code),
  RateLimitedError: (e) => tooManyRequests(e.message, e.retryAfterSeconds),
  NotConfiguredError: (e) => unavailable(e.message, "not_configured"),
  ServiceUnavailableError: (e) => unavailable(e.message, `${e.service}_unavailable`),
  DependencyUnavailableError: outage,
  IntegrationError: integrationFault,
  ConfigError: (e) => unavailable(`The service is misconfigured: ${e.problems.join("; ")}`, "not_configured"),
};

/** The HTTP error an error thrown anywhere below a handler stands for; null: a bug (a 500). */
export function httpErrorOf(err: unknown): HttpError | null {
  if (err instanceof HttpError) return err;
  for (const name of Object.keys(domainErrorClasses) as DomainErrorName[]) {
    if (err instanceof domainErrorClasses[name]) {
      return (errorTable[name] as (e: Error) => HttpError)(err);
    }
  }
  return null;
}

/** Turns zod issues into the `fields` list, each prefixed with where it came from. */
export function zodFields(
  where: "body" | "query" | "path",
  error: z.ZodError,
): NonNullable<ErrorBody["fields"]> {
  return error.issues.map((issue) => ({
    field: [where, ...issue.path.map(String)].join("."),
    message: issue.message,
  }));
}
