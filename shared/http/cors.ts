/** CORS from CORS_ORIGINS; shared by the middleware and the local server's preflight answer. */
export function corsHeaders(allowed: readonly string[], origin: string | undefined): Record<string, string> {
  if (allowed.includes("*")) return { "Access-Control-Allow-Origin": "*" };
  if (origin && allowed.includes(origin)) {
    return {
      "Access-Control-Allow-Origin": origin,
      "Access-Control-Allow-Credentials": "true",
      Vary: "Origin",
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
    "Access-Control-Allow-Headers": "authorization,content-type,if-none-match",
    "Access-Control-Max-Age": "600",
  };
}
