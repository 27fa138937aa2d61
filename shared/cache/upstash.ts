import { DependencyUnavailableError } from "../outage.ts";
import type { Cache } from "./port.ts";
import { encode, toTtl } from "./values.ts";

/**
 * Cache over the Upstash Redis REST API (https://upstash.com/docs/redis/features/restapi):
 * `POST /` with a command as a JSON array answers `{"result": …}` (or `{"error": …}` with a
 * 4xx), `POST /multi-exec` runs several as one MULTI/EXEC. That is all this adapter needs, so it
 * speaks the protocol itself over `fetch`: the @upstash/redis client cannot be tree-shaken (one
 * class holds every Redis command) and weighed ~80 KB in every Lambda bundle, a quarter of it.
 * It keeps that client's behaviour where it mattered: the same Bearer auth, retries after a
 * network error (never after a reply) with the same back-off, the read-your-writes sync token,
 * and plain JSON replies (no `Upstash-Encoding`: every value here is JSON text).
 *
 * Values are always stored as JSON text (JSON.stringify on set, JSON.parse on get), so `get`
 * returns exactly what was `set`: the same representation the memory cache uses.
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

/** A reply of Redis itself (a wrong type, a bad token): not an outage. */
export class UpstashError extends Error {
  override name = "UpstashError";
}

type Arg = string | number;

export function createUpstashCache(opts: UpstashCacheOptions): Cache {
  const prefix = opts.keyPrefix ?? "";
  const retries = Math.max(0, Math.floor(opts.retries ?? DEFAULT_RETRIES));
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const base = opts.url.replace(/\/+$/, "");
  /** Upstash's read-your-writes token: a read after a write sees it, even on a replica. */
  let syncToken = "";

  async function post(path: string, body: unknown): Promise<unknown> {
    // One budget per command, its retries included. Timers count from the event loop's cached
    // clock, stale by whatever synchronous work ran since the loop last turned (module loading
    // at a cold start: ~30 ms), so the budget is armed after one turn or it would end early.
    await new Promise(setImmediate);
    const signal = AbortSignal.timeout(timeoutMs);
    const init = {
      method: "POST",
      headers: {
        authorization: `Bearer ${opts.token}`,
        "content-type": "application/json",
        "upstash-sync-token": syncToken,
      },
      body: JSON.stringify(body),
      signal,
    };
    for (let attempt = 0; ; attempt++) {
      try {
        const res = await fetch(`${base}${path}`, init);
        syncToken = res.headers.get("upstash-sync-token") ?? syncToken;
        const text = await res.text();
        let reply: { result?: unknown; error?: string } | { result?: unknown; error?: string }[];
        try {
          reply = JSON.parse(text);
        } catch {
          throw new UpstashError(`Upstash answered HTTP ${res.status} without JSON: ${text.slice(0, 200)}`);
        }
        if (!res.ok || (!Array.isArray(reply) && reply.error !== undefined)) {
          const error = Array.isArray(reply) ? `HTTP ${res.status}` : reply.error;
          throw new UpstashError(`${error}, command was: ${JSON.stringify(body)}`);
        }
        return reply;
      } catch (err) {
        if (err instanceof UpstashError || signal.aborted || attempt >= retries) throw outageOf(err);
        await new Promise((ok) => setTimeout(ok, Math.min(50 * 2 ** attempt, 400)));
      }
    }
  }

  const run = async <T>(...command: Arg[]): Promise<T> => ((await post("", command)) as { result: T }).result;

  /** Several commands as one MULTI/EXEC; any command's error rejects the whole. */
  async function transaction<T extends unknown[]>(...commands: Arg[][]): Promise<T> {
    const replies = (await post("/multi-exec", commands)) as { result?: unknown; error?: string }[];
    const failed = replies.find((r) => r.error !== undefined);
    if (failed) throw new UpstashError(`${failed.error}, command was: ${JSON.stringify(commands)}`);
    return replies.map((r) => r.result) as T;
  }
  const k = (key: string): string => prefix + key;

  return {
    kind: "upstash",

    async get<T = unknown>(key: string): Promise<T | null> {
      const raw = await run<string | null>("GET", k(key));
      if (raw === null || raw === undefined) return null;
      return JSON.parse(raw) as T;
    },

    async getMany<T = unknown>(keys: readonly string[]): Promise<(T | null)[]> {
      if (keys.length === 0) return [];
      const raw = await run<(string | null)[]>("MGET", ...keys.map(k));
      return raw.map((v) => (v === null || v === undefined ? null : (JSON.parse(v) as T)));
    },

    async set(key, value, setOpts) {
      const json = encode(value);
      if (setOpts?.ttlMs === undefined) await run("SET", k(key), json);
      else await run("SET", k(key), json, "PX", toTtl(setOpts.ttlMs));
    },

    async setIfAbsent(key, value, setOpts) {
      const reply = await run("SET", k(key), encode(value), "NX", "PX", toTtl(setOpts.ttlMs));
      return reply === "OK";
    },

    async del(key) {
      await run("DEL", k(key));
    },

    async swapIfEquals(key, expected, next, setOpts) {
      const swapped = await run(
        "EVAL",
        SWAP_IF_EQUALS,
        1,
        k(key),
        encode(expected),
        encode(next),
        String(toTtl(setOpts.ttlMs)),
      );
      return Number(swapped) === 1;
    },

    async deleteIfEquals(key, expected) {
      return Number(await run("EVAL", DELETE_IF_EQUALS, 1, k(key), encode(expected))) === 1;
    },

    async incrementWindow(key, windowMs) {
      const window = toTtl(windowMs);
      const full = k(key);
      // One MULTI/EXEC: the counter, its expiry (only set when it has none, i.e. the window
      // starts with the first increment) and the remaining time are read atomically.
      const [count, , pttl] = await transaction<[number, number, number]>(
        ["INCR", full],
        ["PEXPIRE", full, window, "NX"],
        ["PTTL", full],
      );
      return { count: Number(count), resetInMs: pttl > 0 ? pttl : window };
    },

    async ttlMs(key) {
      const pttl = await run<number>("PTTL", k(key));
      return pttl === -2 ? null : pttl;
    },

    async deleteByPrefix(match) {
      let n = 0;
      let cursor = "0";
      do {
        const [next, keys] = await run<[string | number, string[]]>(
          "SCAN",
          cursor,
          "MATCH",
          `${globEscape(k(match))}*`,
          "COUNT",
          1000,
        );
        if (keys.length > 0) n += await run<number>("DEL", ...keys);
        cursor = String(next);
      } while (cursor !== "0");
      return n;
    },

    async size() {
      if (!prefix) return run<number>("DBSIZE");
      const seen = new Set<string>();
      let cursor = "0";
      do {
        const [next, keys] = await run<[string | number, string[]]>(
          "SCAN",
          cursor,
          "MATCH",
          `${globEscape(prefix)}*`,
          "COUNT",
          1000,
        );
        for (const key of keys) seen.add(key);
        cursor = String(next);
      } while (cursor !== "0");
      return seen.size;
    },

    async ping() {
      try {
        return (await run("PING")) === "PONG";
      } catch {
        return false;
      }
    },
  };
}
