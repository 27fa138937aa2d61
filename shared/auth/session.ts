import { issueToken } from "./jwt.ts";

/**
 * Browser sessions for members (and the owner, once signed in with Spotify): the same HS256
 * token as the bearer one (`sub` = listener id), carried in an httpOnly cookie. `Secure` on
 * AWS (HTTPS only); locally the app is plain HTTP on loopback, where a Secure cookie would never
 * be sent back. SameSite=Lax keeps it off cross-site subrequests and form posts; state-changing
 * requests carrying it must also come from an allowed Origin (`originAllowed`).
 */
export const SESSION_COOKIE = "hoardify_session";

export function sessionCookie(token: string, maxAgeSeconds: number, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${token}`,
    "Path=/",
    `Max-Age=${maxAgeSeconds}`,
    "HttpOnly",
    "SameSite=Lax",
    ...(secure ? ["Secure"] : []),
  ].join("; ");
}

/**
 * Secure whenever the app is served over HTTPS, as on AWS (API Gateway is HTTPS only), which
 * its Spotify redirect URI tells; `npm start` serves plain HTTP on loopback.
 */
export const secureCookies = (config: { SPOTIFY_REDIRECT_URI?: string | undefined }) =>
  config.SPOTIFY_REDIRECT_URI?.startsWith("https://") ?? false;

export const clearedSessionCookie = (secure: boolean) => sessionCookie("", 0, secure);

export async function newSession(opts: {
  secret: string;
  listener: string;
  ttlSeconds: number;
  now: Date;
  secure: boolean;
}): Promise<string> {
  const token = await issueToken({
    secret: opts.secret,
    subject: opts.listener,
    ttlSeconds: opts.ttlSeconds,
    now: opts.now,
  });
  return sessionCookie(token, opts.ttlSeconds, opts.secure);
}

/** The session token from the request's cookies (`name=value` each), if any. */
export function sessionFrom(cookies: readonly string[]): string | null {
  for (const part of cookies) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === SESSION_COOKIE) {
      const value = part.slice(eq + 1).trim();
      return value === "" ? null : value;
    }
  }
  return null;
}

/** A session is renewed once less than half its lifetime is left: short-lived, yet kept while used. */
export const needsRenewal = (issuedAt: number, expiresAt: number, nowSeconds: number) =>
  expiresAt - nowSeconds < (expiresAt - issuedAt) / 2;

/**
 * CSRF defence for cookie-authenticated state changes: browsers send `Origin` with every
 * POST/PUT/PATCH/DELETE, and a page elsewhere cannot forge it. Allowed: the API's own origin
 * (from Host) and the configured CORS origins. A missing Origin is refused: no browser omits it
 * on these methods, and non-browser clients use bearer tokens.
 */
export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  corsOrigins: readonly string[],
): boolean {
  if (!origin) return false;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  if (host && parsed.host === host) return true;
  return corsOrigins.includes(parsed.origin);
}
