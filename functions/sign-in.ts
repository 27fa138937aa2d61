import { ownerPasswordLogin } from "#shared/auth/owner-login.ts";
import { newSession, secureCookies } from "#shared/auth/session.ts";
import { httpHandler, json } from "#shared/http/middleware.ts";
import { webRoutes } from "#shared/http/routes/web.ts";
import type { SignInResponse } from "#shared/http/web-schemas.ts";

/** The dashboard's password sign-in: the session cookie members get from /login, for the owner. */
export const handler = httpHandler(webRoutes.signIn, async ({ body, deps, sourceIp }) => {
  const { subject, secret, ttlSeconds } = await ownerPasswordLogin(deps, body, sourceIp);
  const cookie = await newSession({
    secret,
    listener: subject,
    ttlSeconds,
    now: deps.clock(),
    secure: secureCookies(deps.config),
  });
  const reply: SignInResponse = { signed_in: true, listener: subject, expires_in: ttlSeconds };
  return json(reply, 200, { "Set-Cookie": cookie });
});
