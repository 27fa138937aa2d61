/** Request headers a browser may send (If-None-Match: the cards' ETag revalidation). */
export const CORS_ALLOWED_HEADERS = ["authorization", "content-type", "if-none-match"] as const;
/** Response headers a browser script may read: paging (export), caching, back-off. */
export const CORS_EXPOSED_HEADERS = ["Link", "ETag", "Retry-After", "X-Next-Cursor"] as const;

/**
 * CORS from CORS_ORIGINS; shared by the middleware and the local server's preflight answer.
 * On AWS the HTTP API's CORS configuration (built from the same lists) answers instead.
 */
export function corsHeaders(allowed: readonly string[], origin: string | undefined): Record<string, string> {
  const expose = { "Access-Control-Expose-Headers": CORS_EXPOSED_HEADERS.join(",") };
  if (allowed.includes("*")) return { "Access-Control-Allow-Origin": "*", ...expose };
  if (origin && allowed.includes(origin)) {
    return {
      "Access-Control-Allow-Origin": origin,
      "Access-Control-Allow-Credentials": "true",
      Vary: "Origin",
      ...expose,
    };
  }
  return {};
}

export function preflightHeaders(
  allowed: readonly string[],
  origin: string | undefined,
): Record<string, string> {
  const base = corsHeaders(allowed, origin);
  if (Object.keys(base).length === 0) return {};
  return {
    ...base,
    "Access-Control-Allow-Methods": "GET,POST,PUT,PATCH,DELETE,OPTIONS",
    "Access-Control-Allow-Headers": CORS_ALLOWED_HEADERS.join(","),
    "Access-Control-Max-Age": "600",
  };
}
