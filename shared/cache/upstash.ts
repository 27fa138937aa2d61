import { Redis } from "@upstash/redis";
import { DependencyUnavailableError } from "../outage.ts";
import type { Cache } from "./port.ts";
import { encode, toTtl } from "./values.ts";

/**
 * Cache over the Upstash Redis REST API.
 *
 * Serialisation is done here, not by @upstash/redis: its default serializer sends strings,
 * numbers and booleans as-is and its default deserializer JSON-parses every reply, so
 * `set("k", "123")` would come back as the number 123 and `set("k", "true")` as `true`.
 * With `automaticDeserialization: false` and our own JSON.stringify/JSON.parse the value
 * stored in Redis is always JSON text and `get` returns exactly what was `set` (the same
 * representation the memory cache uses).
 */

export interface UpstashCacheOptions {
  url: string;
  token: string;
  /** Prepended to every key; `size()` then counts only keys with this prefix. */
  keyPrefix?: string;
  /**
   * Retries after a network error (not after an HTTP error reply). The client makes
   * `retries + 1` attempts; the default is small so a down endpoint fails fast.
   */
  retries?: number;
  /**
   * Budget of one command, its retries included: a stalled endpoint fails within it (a 503
   * at the HTTP edge) instead of holding the request until the Lambda times out.
   */
  timeoutMs?: number;
}

const DEFAULT_RETRIES = 2;
const DEFAULT_TIMEOUT_MS = 2000;

/** fetch's own failures (refused, reset, DNS, our timeout) are an outage; a Redis reply is not. */
function outageOf(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  if (err.name === "TimeoutError" || err.name === "AbortError") {
    return new DependencyUnavailableError("cache", "timeout", { cause: err });
  }
  if (err instanceof TypeError && /fetch failed/i.test(err.message)) {
    const code = (err.cause as { code?: unknown } | undefined)?.code;
    return new DependencyUnavailableError("cache", typeof code === "string" ? code : "unreachable", {
      cause: err,
    });
  }
  return err;
}

// Compare and act in one script: Redis runs it atomically (no WATCH/MULTI over REST).
const SWAP_IF_EQUALS = `if redis.call("GET", KEYS[1]) == ARGV[1] then
  redis.call("SET", KEYS[1], ARGV[2], "PX", ARGV[3]) return 1 end return 0`;
const DELETE_IF_EQUALS = `if redis.call("GET", KEYS[1]) == ARGV[1] then
  redis.call("DEL", KEYS[1]) return 1 end return 0`;

/** Escapes Redis glob metacharacters so a prefix can be used in SCAN MATCH. */
function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

export function createUpstashCache(opts: UpstashCacheOptions): Cache {
  const prefix = opts.keyPrefix ?? "";
  const retries = Math.max(0, Math.floor(opts.retries ?? DEFAULT_RETRIES));
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const client = new Redis({
    url: opts.url,
    token: opts.token,
    automaticDeserialization: false,
    enableTelemetry: false,
    retry: { retries, backoff: (n) => Math.min(50 * 2 ** n, 400) },
    // A function: a fresh signal per command (a shared one would abort every later command).
    signal: () => AbortSignal.timeout(timeoutMs),
  });
  // Every command goes through this proxy, so each one maps its transport failure the same way.
  const redis = new Proxy(client, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const out: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        return out instanceof Promise
          ? out.catch((err: unknown) => {
              throw outageOf(err);
            })
          : out;
      };
    },
  });
  const k = (key: string): string => prefix + key;

  return {
    kind: "upstash",

    async get<T = unknown>(key: string): Promise<T | null> {
      const raw = await redis.get<string>(k(key));
      if (raw === null || raw === undefined) return null;
      return JSON.parse(raw) as T;
    },

    async getMany<T = unknown>(keys: readonly string[]): Promise<(T | null)[]> {
      if (keys.length === 0) return [];
      const raw = await redis.mget<(string | null)[]>(...keys.map(k));
      return raw.map((v) => (v === null || v === undefined ? null : (JSON.parse(v) as T)));
    },

    async set(key, value, setOpts) {
      const json = encode(value);
      if (setOpts?.ttlMs === undefined) await redis.set(k(key), json);
      else await redis.set(k(key), json, { px: toTtl(setOpts.ttlMs) });
    },

    async setIfAbsent(key, value, setOpts) {
      const reply = await redis.set(k(key), encode(value), { nx: true, px: toTtl(setOpts.ttlMs) });
      return reply === "OK";
    },

    async del(key) {
      await redis.del(k(key));
    },

    async swapIfEquals(key, expected, next, setOpts) {
      const swapped = await redis.eval(
        SWAP_IF_EQUALS,
        [k(key)],
        [encode(expected), encode(next), String(toTtl(setOpts.ttlMs))],
      );
      return Number(swapped) === 1;
    },

    async deleteIfEquals(key, expected) {
      return Number(await redis.eval(DELETE_IF_EQUALS, [k(key)], [encode(expected)])) === 1;
    },

    async incrementWindow(key, windowMs) {
      const window = toTtl(windowMs);
      const full = k(key);
      // One MULTI/EXEC: the counter, its expiry (only set when it has none, i.e. the window
      // starts with the first increment) and the remaining time are read atomically.
      const [count, , pttl] = await redis
        .multi()
        .incr(full)
        .pexpire(full, window, "NX")
        .pttl(full)
        .exec<[number, number, number]>()
        .catch((err: unknown) => {
          throw outageOf(err);
        });
      return { count: Number(count), resetInMs: pttl > 0 ? pttl : window };
    },

    async ttlMs(key) {
      const pttl = await redis.pttl(k(key));
      return pttl === -2 ? null : pttl;
    },

    async size() {
      if (!prefix) return redis.dbsize();
      const seen = new Set<string>();
      let cursor = "0";
      do {
        const [next, keys] = await redis.scan(cursor, { match: `${globEscape(prefix)}*`, count: 1000 });
        for (const key of keys) seen.add(key);
        cursor = String(next);
      } while (cursor !== "0");
      return seen.size;
    },

    async ping() {
      try {
        return (await redis.ping()) === "PONG";
      } catch {
        return false;
      }
    },
  };
}
