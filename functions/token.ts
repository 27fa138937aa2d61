import { issueToken } from "#shared/auth/jwt.ts";
import { checkLogin } from "#shared/auth/password.ts";
import { createLoginLimiter } from "#shared/auth/rate-limit.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import { tooManyRequests, unauthorized, unavailable } from "#shared/http/errors.ts";
import { httpHandler, json } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";
import type { TokenResponse } from "#shared/http/schemas.ts";
import { logger } from "#shared/logger.ts";

export const handler = httpHandler(routes.token, async ({ body, deps, sourceIp }) => {
  const { config, cache, clock } = deps;
  if (!config.ADMIN_PASSWORD_HASH || !config.SECRET_KEY) {
    const missing = [
      !config.ADMIN_PASSWORD_HASH && "ADMIN_PASSWORD_HASH",
      !config.SECRET_KEY && "SECRET_KEY",
    ].filter(Boolean);
    throw unavailable(`login is not configured: set ${missing.join(" and ")}`, "not_configured");
  }
  const limiter = createLoginLimiter(cache, {
    maxFailures: config.LOGIN_MAX_FAILURES,
    windowSeconds: config.LOGIN_WINDOW_SECONDS,
  });
  const wait = await limiter.blockedFor(sourceIp);
  if (wait > 0) throw tooManyRequests(`too many failed logins; try again in ${wait} s`, wait);

  const ok = await checkLogin({
    username: body.username,
    password: body.password,
    expectedUsername: config.ADMIN_USERNAME,
    passwordHash: config.ADMIN_PASSWORD_HASH,
  });
  if (!ok) {
    await limiter.recordFailure(sourceIp);
    logger.info("login failed", { client: sourceIp });
    throw unauthorized("incorrect username or password");
  }
  await limiter.reset(sourceIp);
  const expiresIn = config.ACCESS_TOKEN_EXPIRE_MINUTES * 60;
  const token = await issueToken({
    secret: config.SECRET_KEY,
    // The password is the owner's: the token acts for the owner's listener.
    subject: OWNER_ID,
    ttlSeconds: expiresIn,
    now: clock(),
  });
  const reply: TokenResponse = { access_token: token, token_type: "bearer", expires_in: expiresIn };
  return json(reply);
});
