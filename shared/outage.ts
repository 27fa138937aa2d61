/**
 * A dependency that is down, stalled or throttling, as opposed to a request it refused. The
 * adapters (DynamoDB, Upstash, SSM) turn their transport failures into this one error, so the
 * HTTP layer answers 503 with Retry-After in one place (shared/http/middleware.ts) and never
 * mistakes an outage for a bug (500) or hangs until the Lambda timeout.
 */

export type Dependency = "storage" | "cache" | "secrets";

const LABEL: Record<Dependency, string> = {
  storage: "storage (DynamoDB)",
  cache: "the cache (Upstash Redis)",
  secrets: "the secrets (SSM Parameter Store)",
};

export class DependencyUnavailableError extends Error {
  readonly dependency: Dependency;
  /** What failed, short and safe to show: an error code or name, never a stack. */
  readonly reason: string;
  constructor(dependency: Dependency, reason: string, options?: { cause?: unknown }) {
    super(`${LABEL[dependency]} is unavailable (${reason})`, options);
    this.name = "DependencyUnavailableError";
    this.dependency = dependency;
    this.reason = reason;
  }
}

/** AWS SDK error names that mean "slow down", not "you asked wrongly". */
const THROTTLING = new Set([
  "ThrottlingException",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "TooManyRequestsException",
  "ThrottledException",
]);

/** Node's socket-level error codes: the endpoint is gone, refused or cut the connection. */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

type SdkLike = {
  name?: unknown;
  code?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: number };
};

/**
 * Why an AWS SDK error is an outage (connection refused or reset, a timeout, a 5xx, a
 * throttle), or null when it is an answer to act on (a failed condition, a validation error).
 */
export function awsOutageReason(err: unknown): string | null {
  if (!(err instanceof Error)) return null;
  const e = err as Error & SdkLike;
  const code = typeof e.code === "string" ? e.code : undefined;
  if (e.name === "TimeoutError" || e.name === "AbortError") return "timeout";
  if (code && NETWORK_CODES.has(code)) return code;
  if (THROTTLING.has(e.name)) return e.name;
  const status = e.$metadata?.httpStatusCode;
  if (e.$fault === "server" || (status !== undefined && status >= 500))
    return `${e.name} (${status ?? "5xx"})`;
  return null;
}
