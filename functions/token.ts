import { issueToken } from "#shared/auth/jwt.ts";
import { ownerPasswordLogin } from "#shared/auth/owner-login.ts";
import { httpHandler, json } from "#shared/http/middleware.ts";
import { systemRoutes } from "#shared/http/routes/system.ts";
import type { TokenResponse } from "#shared/http/schemas.ts";

export const handler = httpHandler(systemRoutes.token, async ({ body, deps, sourceIp }) => {
  const { subject, secret, ttlSeconds } = await ownerPasswordLogin(deps, body, sourceIp);
  const token = await issueToken({ secret, subject, ttlSeconds, now: deps.clock() });
  const reply: TokenResponse = { access_token: token, token_type: "bearer", expires_in: ttlSeconds };
  return json(reply);
});
