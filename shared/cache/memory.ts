import type { Cache } from "./port.ts";
import { encode, toTtl } from "./values.ts";

/**
 * In-memory cache for the single-process local runtime. Values are kept as JSON text,
 * so a caller can never mutate what is stored and round-trips behave like Redis
 * (a stored object comes back as a fresh copy; `undefined` comes back as null).
 * Expired keys are invisible to every operation and purged lazily when touched
 * (and in bulk by `size`). The clock is injectable so tests can expire keys
 * without sleeping.
 */

interface Entry {
  json: string;
  /** Epoch ms after which the key no longer exists; null for no TTL. */
  expiresAt: number | null;
}

export function createMemoryCache(opts: { now?: () => number } = {}): Cache {
  const now = opts.now ?? Date.now;
  const entries = new Map<string, Entry>();

  function live(key: string): Entry | undefined {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt !== null && entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  }

  return {
    kind: "memory",

    async get<T = unknown>(key: string): Promise<T | null> {
      const entry = live(key);
      return entry ? (JSON.parse(entry.json) as T) : null;
    },

    async getMany<T = unknown>(keys: readonly string[]): Promise<(T | null)[]> {
      return keys.map((key) => {
        const entry = live(key);
        return entry ? (JSON.parse(entry.json) as T) : null;
      });
    },

    async set(key, value, setOpts) {
      const ttl = setOpts?.ttlMs === undefined ? null : toTtl(setOpts.ttlMs);
      // Like Redis SET without KEEPTTL: a plain set clears any previous TTL.
      entries.set(key, { json: encode(value), expiresAt: ttl === null ? null : now() + ttl });
    },

    async setIfAbsent(key, value, setOpts) {
      const ttl = toTtl(setOpts.ttlMs);
      if (live(key)) return false;
      entries.set(key, { json: encode(value), expiresAt: now() + ttl });
      return true;
    },

    async del(key) {
      entries.delete(key);
    },

    async swapIfEquals(key, expected, next, setOpts) {
      const ttl = toTtl(setOpts.ttlMs);
      if (live(key)?.json !== encode(expected)) return false;
      entries.set(key, { json: encode(next), expiresAt: now() + ttl });
      return true;
    },

    async deleteIfEquals(key, expected) {
      if (live(key)?.json !== encode(expected)) return false;
      entries.delete(key);
      return true;
    },

    async incrementWindow(key, windowMs) {
      const window = toTtl(windowMs);
      const entry = live(key);
      if (!entry) {
        const expiresAt = now() + window;
        entries.set(key, { json: "1", expiresAt });
        return { count: 1, resetInMs: window };
      }
      const current: unknown = JSON.parse(entry.json);
      if (typeof current !== "number" || !Number.isSafeInteger(current)) {
        // The message Redis gives for INCR on a non-integer value.
        throw new Error("ERR value is not an integer or out of range");
      }
      const count = current + 1;
      // PEXPIRE NX semantics: a counter that somehow has no TTL gets one now.
      const expiresAt = entry.expiresAt ?? now() + window;
      entries.set(key, { json: String(count), expiresAt });
      return { count, resetInMs: expiresAt - now() };
    },

    async ttlMs(key) {
      const entry = live(key);
      if (!entry) return null;
      return entry.expiresAt === null ? -1 : entry.expiresAt - now();
    },

    async deleteByPrefix(prefix) {
      let n = 0;
      for (const key of [...entries.keys()]) {
        if (key.startsWith(prefix) && live(key)) {
          entries.delete(key);
          n++;
        }
      }
      return n;
    },

    async size() {
      for (const key of [...entries.keys()]) live(key);
      return entries.size;
    },

    async ping() {
      return true;
    },
  };
}
