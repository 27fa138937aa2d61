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

export type VerifyResult = { ok: true; subject: string } | { ok: false; reason: string };

export async function verifyToken(opts: { secret: string; token: string; now: Date }): Promise<VerifyResult> {
  try {
    const { payload } = await jwtVerify(opts.token, key(opts.secret), {
      algorithms: ["HS256"],
      issuer: JWT_ISSUER,
      audience: JWT_AUDIENCE,
      currentDate: opts.now,
      requiredClaims: ["exp", "iat", "sub"],
    });
    if (!payload.sub) return { ok: false, reason: "token has no subject" };
    return { ok: true, subject: payload.sub };
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
