import { cacheKeys } from "../cache/keys.ts";
import type { Cache } from "../cache/port.ts";

/**
 * Failed-login limiter: a fixed window per client, counted in the cache. Only failures
 * count, so a person who types the password right is never locked out by their own logins.
 */
export interface LoginLimiter {
  /** Seconds the client must wait, or 0 when it may try. */
  blockedFor(client: string): Promise<number>;
  recordFailure(client: string): Promise<void>;
  reset(client: string): Promise<void>;
}

export function createLoginLimiter(
  cache: Cache,
  opts: { maxFailures: number; windowSeconds: number },
): LoginLimiter {
  const key = cacheKeys.loginFailures;
  return {
    async blockedFor(client) {
      const count = await cache.get<number>(key(client));
      if (typeof count !== "number" || count < opts.maxFailures) return 0;
      const ttl = await cache.ttlMs(key(client));
      return ttl === null || ttl < 0 ? opts.windowSeconds : Math.ceil(ttl / 1000);
    },
    async recordFailure(client) {
      await cache.incrementWindow(key(client), opts.windowSeconds * 1000);
    },
    async reset(client) {
      await cache.del(key(client));
    },
  };
}
