import type { Deps } from "../deps.ts";
import { OWNER_ID } from "../domain/listener.ts";
import { tooManyRequests, unauthorized, unavailable } from "../http/errors.ts";
import { logger } from "../logger.ts";
import { checkLogin } from "./password.ts";
import { createLoginLimiter } from "./rate-limit.ts";

/**
 * The owner's password login, shared by POST /token (a bearer token for API clients) and
 * POST /login (a browser session): the same checks, the same failure counting per client.
 * Resolves to the owner's listener id and the lifetime of what it may issue, or throws the
 * HTTP error to answer.
 */
export async function ownerPasswordLogin(
  deps: Pick<Deps, "config" | "cache">,
  form: { username: string; password: string },
  client: string,
): Promise<{ subject: string; secret: string; ttlSeconds: number }> {
  const { config, cache } = deps;
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
  const wait = await limiter.blockedFor(client);
  if (wait > 0) throw tooManyRequests(`too many failed logins; try again in ${wait} s`, wait);

  const ok = await checkLogin({
    username: form.username,
    password: form.password,
    expectedUsername: config.ADMIN_USERNAME,
    passwordHash: config.ADMIN_PASSWORD_HASH,
  });
  if (!ok) {
    await limiter.recordFailure(client);
    logger.info("login failed", { client });
    throw unauthorized("incorrect username or password");
  }
  await limiter.reset(client);
  // The password is the owner's: what it opens acts for the owner's listener.
  return {
    subject: OWNER_ID,
    secret: config.SECRET_KEY,
    ttlSeconds: config.ACCESS_TOKEN_EXPIRE_MINUTES * 60,
  };
}
