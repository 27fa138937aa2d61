import { errors, jwtVerify, SignJWT } from "jose";

/**
 * HS256 bearer tokens. Issuer and audience are fixed so a token minted for something else
 * with the same secret is refused; `algorithms` pins HS256, which also refuses `alg: none`.
 */
export const JWT_ISSUER = "hoardify";
export const JWT_AUDIENCE = "hoardify-api";

const key = (secret: string) => new TextEncoder().encode(secret);

export async function issueToken(opts: {
  secret: string;
  subject: string;
  ttlSeconds: number;
  now: Date;
}): Promise<string> {
  const iat = Math.floor(opts.now.getTime() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(opts.subject)
    .setIssuer(JWT_ISSUER)
    .setAudience(JWT_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + opts.ttlSeconds)
    .sign(key(opts.secret));
}

export type VerifyResult =
  | { ok: true; subject: string; issuedAt: number; expiresAt: number }
  | { ok: false; reason: string };

/**
 * Seconds a token's `iat` may lie ahead of our clock: the issuer's and our clocks (two Lambda
 * hosts) disagree by a little, never by minutes.
 */
export const CLOCK_SKEW_SECONDS = 60;

export async function verifyToken(opts: {
  secret: string;
  token: string;
  now: Date;
  /** The configured lifetime (ACCESS_TOKEN_EXPIRE_MINUTES): we never issue longer-lived tokens. */
  maxLifetimeSeconds: number;
}): Promise<VerifyResult> {
  try {
    const { payload } = await jwtVerify(opts.token, key(opts.secret), {
      algorithms: ["HS256"],
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      currentDate: opts.now,
      requiredClaims: ["exp", "iat", "sub"],
    });
    if (!payload.sub) return { ok: false, reason: "token has no subject" };
    // Signed with our key, yet not as we sign: a leaked key, or a token minted far ahead, must
    // not buy a login longer than the configured lifetime.
    const iat = payload.iat ?? 0;
    const exp = payload.exp ?? 0;
    if (iat > opts.now.getTime() / 1000 + CLOCK_SKEW_SECONDS)
      return { ok: false, reason: 'token claim "iat" is in the future' };
    if (exp - iat > opts.maxLifetimeSeconds)
      return { ok: false, reason: "token lifetime (exp - iat) is longer than this service issues" };
    return { ok: true, subject: payload.sub, issuedAt: iat, expiresAt: exp };
  } catch (err) {
    if (err instanceof errors.JWTExpired) return { ok: false, reason: "token has expired" };
    if (err instanceof errors.JWSSignatureVerificationFailed)
      return { ok: false, reason: "token signature is invalid" };
    if (err instanceof errors.JOSEAlgNotAllowed)
      return { ok: false, reason: "token algorithm is not allowed" };
    if (err instanceof errors.JWTClaimValidationFailed)
      return { ok: false, reason: `token claim "${err.claim}" is invalid` };
    return { ok: false, reason: "token is malformed" };
  }
}
