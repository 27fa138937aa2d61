import * as z from "zod";
import type { DependencyUnavailableError } from "../outage.ts";

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
