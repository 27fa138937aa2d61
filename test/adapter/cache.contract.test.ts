import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "redis";
import { freePort } from "#infra/local/processes.ts";
import { createMemoryCache } from "#shared/cache/memory.ts";
import type { Cache } from "#shared/cache/port.ts";
import { createUpstashCache } from "#shared/cache/upstash.ts";
import { redisPort } from "#test/support/services.ts";
import { startUpstashServer } from "#test/support/upstash-server.ts";

/**
 * One contract, two adapters: the in-memory cache (fake clock) and the Upstash cache
 * through the Upstash-compatible test server in front of a real redis-server (real time,
 * small TTLs). Every test gets a fresh cache (and, for Upstash, its own key prefix), so
 * tests are independent and may run concurrently.
 */

interface Harness {
  cache: Cache;
  /** Lets `ms` pass: advances the fake clock, or really sleeps. */
  advance(ms: number): Promise<void>;
}

// Real seconds against redis-server: a loaded 2-core CI machine can stall a second between two
// round trips, so a TTL must comfortably outlive that (the memory cache's clock is fake anyway).
const TTL = 3000;
const PAST_TTL = 3300;

function contract(name: string, makeCache: () => Promise<Harness>): void {
  describe(`Cache contract: ${name}`, { concurrency: true }, () => {
    test("round-trips objects, strings, numbers and booleans exactly", async () => {
      const { cache } = await makeCache();
      const values: Record<string, unknown> = {
        object: { track: "Song", artists: ["A", "B"], nested: { ms: 1234, playing: true, art: null } },
        array: [1, "two", { three: 3 }],
        string: "hello",
        numericString: "123",
        booleanString: "true",
        nullString: "null",
        jsonString: '{"a":1}',
        quotedString: '"quoted"',
        okString: "OK",
        emptyString: "",
        unicode: "Sigur Rós – Hoppípolla ♪ 🎵",
        integer: 42,
        zero: 0,
        negativeFloat: -1.5,
        bigish: 1_700_000_000_123,
        true: true,
        false: false,
      };
      for (const [key, value] of Object.entries(values)) await cache.set(key, value);
      for (const [key, value] of Object.entries(values)) {
        const got = await cache.get(key);
        assert.deepEqual(got, value, `value under "${key}"`);
        assert.equal(typeof got, typeof value, `type under "${key}"`);
      }
    });

    test("swapIfEquals and deleteIfEquals act only while the key holds the expected value", async () => {
      const { cache, advance } = await makeCache();
      assert.equal(await cache.swapIfEquals("lease", "a", "b", { ttlMs: TTL }), false, "absent key");
      assert.equal(await cache.get("lease"), null);
      await cache.set("lease", "a", { ttlMs: 60_000 });
      assert.equal(await cache.swapIfEquals("lease", "x", "b", { ttlMs: TTL }), false, "other value");
      assert.equal(await cache.get("lease"), "a");
      assert.equal(await cache.swapIfEquals("lease", "a", "b", { ttlMs: TTL }), true);
      assert.equal(
        await cache.swapIfEquals("lease", "a", "c", { ttlMs: TTL }),
        false,
        "a second swap from a",
      );
      assert.equal(await cache.get("lease"), "b");
      const ttl = (await cache.ttlMs("lease")) ?? assert.fail("no TTL");
      assert.ok(ttl > 0 && ttl <= TTL, `the swap set a fresh TTL (${ttl})`);
      // A JSON-looking string is compared as the string it is, not as a number.
      await cache.set("n", "1");
      assert.equal(await cache.deleteIfEquals("n", 1), false);
      assert.equal(await cache.deleteIfEquals("lease", "a"), false);
      assert.equal(await cache.deleteIfEquals("lease", "b"), true);
      assert.equal(await cache.get("lease"), null);
      await cache.set("gone", "v", { ttlMs: TTL });
      await advance(PAST_TTL);
      assert.equal(await cache.swapIfEquals("gone", "v", "w", { ttlMs: TTL }), false, "expired key");
    });

    test("returns copies: mutating the input or the result does not change what is stored", async () => {
      const { cache } = await makeCache();
      const input = { list: [1, 2], name: "x" };
      await cache.set("obj", input);
      input.list.push(3);
      input.name = "changed";
      const first = await cache.get<{ list: number[]; name: string }>("obj");
      assert.deepEqual(first, { list: [1, 2], name: "x" });
      first?.list.push(99);
      assert.deepEqual(await cache.get("obj"), { list: [1, 2], name: "x" });
    });

    test("getMany reads several keys at once, in order, absent ones as null", async () => {
      const { cache } = await makeCache();
      await cache.set("many:a", { n: 1 });
      await cache.set("many:c", "123");
      assert.deepEqual(await cache.getMany(["many:a", "many:b", "many:c", "many:a"]), [
        { n: 1 },
        null,
        "123",
        { n: 1 },
      ]);
      assert.deepEqual(await cache.getMany([]), []);
    });

    test("missing keys and null-ish values read as null", async () => {
      const { cache } = await makeCache();
      assert.equal(await cache.get("never-set"), null);
      await cache.set("null", null);
      assert.equal(await cache.get("null"), null);
      await cache.set("undefined", undefined);
      assert.equal(await cache.get("undefined"), null);
      // A stored null is still a key (only absence is "no key").
      assert.equal(await cache.ttlMs("null"), -1);
    });

    test("a key set with ttlMs expires", async () => {
      const { cache, advance } = await makeCache();
      await cache.set("short", { v: 1 }, { ttlMs: TTL });
      await cache.set("forever", { v: 2 });
      assert.deepEqual(await cache.get("short"), { v: 1 });
      await advance(PAST_TTL);
      assert.equal(await cache.get("short"), null);
      assert.equal(await cache.ttlMs("short"), null);
      assert.deepEqual(await cache.get("forever"), { v: 2 });
    });

    test("a plain set replaces the value and clears a previous TTL (like SET without KEEPTTL)", async () => {
      const { cache, advance } = await makeCache();
      await cache.set("k", "first", { ttlMs: TTL });
      await cache.set("k", "second");
      assert.equal(await cache.ttlMs("k"), -1);
      await advance(PAST_TTL);
      assert.equal(await cache.get("k"), "second");
    });

    test("setIfAbsent stores only when absent, and again once the holder expired", async () => {
      const { cache, advance } = await makeCache();
      assert.equal(await cache.setIfAbsent("lease", { owner: "a" }, { ttlMs: TTL }), true);
      assert.equal(await cache.setIfAbsent("lease", { owner: "b" }, { ttlMs: TTL }), false);
      assert.deepEqual(await cache.get("lease"), { owner: "a" });
      const ttl = await cache.ttlMs("lease");
      assert.ok(ttl !== null && ttl > 0 && ttl <= TTL, `lease ttl ${ttl}`);
      await advance(PAST_TTL);
      assert.equal(await cache.setIfAbsent("lease", { owner: "b" }, { ttlMs: TTL }), true);
      assert.deepEqual(await cache.get("lease"), { owner: "b" });
    });

    test("setIfAbsent refuses a key that exists without a TTL", async () => {
      const { cache } = await makeCache();
      await cache.set("plain", 1);
      assert.equal(await cache.setIfAbsent("plain", 2, { ttlMs: TTL }), false);
      assert.equal(await cache.get("plain"), 1);
      assert.equal(await cache.ttlMs("plain"), -1);
    });

    test("del removes a key; deleting a missing key is fine", async () => {
      const { cache } = await makeCache();
      await cache.set("a", "x");
      await cache.set("b", "y");
      await cache.del("a");
      assert.equal(await cache.get("a"), null);
      assert.equal(await cache.ttlMs("a"), null);
      assert.equal(await cache.get("b"), "y");
      await cache.del("a");
      await cache.del("never-set");
      assert.equal(await cache.get("b"), "y");
    });

    test("incrementWindow counts 1, 2, 3 in a fixed window and restarts after it", async () => {
      const { cache, advance } = await makeCache();
      // Generous against real time: a loaded CI machine can take 100s of ms per round trip.
      const window = 5000;
      const r1 = await cache.incrementWindow("login:1.2.3.4", window);
      const r2 = await cache.incrementWindow("login:1.2.3.4", window);
      const r3 = await cache.incrementWindow("login:1.2.3.4", window);
      assert.deepEqual([r1.count, r2.count, r3.count], [1, 2, 3]);
      for (const r of [r1, r2, r3]) {
        assert.ok(r.resetInMs > 0 && r.resetInMs <= window, `resetInMs ${r.resetInMs}`);
      }
      // Fixed window: later increments do not push the reset further out.
      assert.ok(r3.resetInMs <= r1.resetInMs, `${r3.resetInMs} > ${r1.resetInMs}`);
      assert.equal(await cache.get("login:1.2.3.4"), 3);
      // Other keys have their own counters.
      assert.equal((await cache.incrementWindow("login:5.6.7.8", window)).count, 1);

      await advance(500);
      const r4 = await cache.incrementWindow("login:1.2.3.4", window);
      assert.equal(r4.count, 4);
      assert.ok(r4.resetInMs > 0 && r4.resetInMs <= window - 500, `window was extended: ${r4.resetInMs}`);

      await advance(window);
      const r5 = await cache.incrementWindow("login:1.2.3.4", window);
      assert.equal(r5.count, 1);
      assert.ok(
        r5.resetInMs > window - 1000 && r5.resetInMs <= window,
        `new window resetInMs ${r5.resetInMs}`,
      );
    });

    test("incrementWindow on a non-integer value rejects", async () => {
      const { cache } = await makeCache();
      await cache.set("not-a-counter", { a: 1 });
      await assert.rejects(cache.incrementWindow("not-a-counter", 1000), /not an integer/);
      assert.deepEqual(await cache.get("not-a-counter"), { a: 1 });
    });

    test("ttlMs: null when absent, -1 without TTL, remaining ms with TTL", async () => {
      const { cache } = await makeCache();
      assert.equal(await cache.ttlMs("absent"), null);
      await cache.set("no-ttl", 1);
      assert.equal(await cache.ttlMs("no-ttl"), -1);
      await cache.set("ttl", 1, { ttlMs: 10_000 });
      const ttl = await cache.ttlMs("ttl");
      assert.ok(ttl !== null && ttl > 9_000 && ttl <= 10_000, `ttl ${ttl}`);
    });

    test("non-positive or non-finite TTLs are rejected", async () => {
      const { cache } = await makeCache();
      for (const ttlMs of [0, -5, Number.NaN, Number.POSITIVE_INFINITY]) {
        await assert.rejects(cache.set("k", 1, { ttlMs }), RangeError, `set ttlMs ${ttlMs}`);
        await assert.rejects(cache.setIfAbsent("k", 1, { ttlMs }), RangeError, `setIfAbsent ttlMs ${ttlMs}`);
        await assert.rejects(cache.incrementWindow("c", ttlMs), RangeError, `incrementWindow ${ttlMs}`);
      }
      assert.equal(await cache.get("k"), null);
      assert.equal(await cache.get("c"), null);
    });

    test("size counts live keys only", async () => {
      const { cache, advance } = await makeCache();
      assert.equal(await cache.size(), 0);
      await cache.set("a", 1);
      await cache.set("b", 2);
      await cache.set("c", 3, { ttlMs: TTL });
      await cache.incrementWindow("d", 10_000);
      assert.equal(await cache.size(), 4);
      await cache.del("a");
      assert.equal(await cache.size(), 3);
      await advance(PAST_TTL);
      assert.equal(await cache.size(), 2);
    });

    test("ping answers true", async () => {
      const { cache } = await makeCache();
      assert.equal(await cache.ping(), true);
    });
  });
}

// --- memory -------------------------------------------------------------------------

contract("memory", async () => {
  let now = Date.UTC(2025, 0, 1);
  const cache = createMemoryCache({ now: () => now });
  assert.equal(cache.kind, "memory");
  return {
    cache,
    advance: async (ms) => {
      now += ms;
    },
  };
});

// --- upstash ------------------------------------------------------------------------

const TOKEN = `test-token-${Math.random().toString(36).slice(2)}`;
const port = await redisPort();
const server = await startUpstashServer({ redisPort: port, token: TOKEN });
const raw = createClient({ socket: { host: "127.0.0.1", port }, RESP: 2 });
raw.on("error", () => {});
await raw.connect();
const runPrefix = `hoardify-test:cache:${process.pid}:${Date.now().toString(36)}:`;
let harnesses = 0;

after(async () => {
  // Leave the (possibly shared) redis-server as we found it.
  for await (const keys of raw.scanIterator({ MATCH: `${runPrefix}*`, COUNT: 1000 })) {
    if (keys.length > 0) await raw.del(keys);
  }
  raw.destroy();
  await server.stop();
});

function upstashCache(
  opts: { keyPrefix?: string; token?: string; url?: string; retries?: number } = {},
): Cache {
  return createUpstashCache({
    url: opts.url ?? server.url,
    token: opts.token ?? TOKEN,
    keyPrefix: opts.keyPrefix ?? `${runPrefix}${harnesses++}:`,
    retries: opts.retries ?? 0,
    // Without retries, the production 2 s timeout turns a slow moment of a loaded CI machine
    // into a "timeout" where a test expects Redis's own reply; timeouts are tested in
    // test/adapter/client-timeouts.test.ts.
    timeoutMs: 30_000,
  });
}

contract("upstash (REST test server + redis-server)", async () => {
  const cache = upstashCache();
  assert.equal(cache.kind, "upstash");
  return { cache, advance: (ms) => sleep(ms) };
});

describe("Upstash adapter specifics", { concurrency: true }, () => {
  test("stores values in Redis as JSON text under the key prefix", async () => {
    const keyPrefix = `${runPrefix}raw:`;
    const cache = upstashCache({ keyPrefix });
    await cache.set("obj", { a: [1, "b"] });
    await cache.set("str", "123");
    await cache.set("num", 123);
    assert.equal(await raw.get(`${keyPrefix}obj`), '{"a":[1,"b"]}');
    assert.equal(await raw.get(`${keyPrefix}str`), '"123"');
    assert.equal(await raw.get(`${keyPrefix}num`), "123");
    assert.equal(await raw.get("obj"), null);
  });

  test("keys of another prefix are invisible and not counted", async () => {
    const a = upstashCache();
    const b = upstashCache();
    await a.set("shared-name", "from a");
    assert.equal(await b.get("shared-name"), null);
    assert.equal(await b.size(), 0);
    assert.equal(await a.size(), 1);
  });

  test("a wrong token makes the adapter reject, and ping report false", async () => {
    const cache = upstashCache({ token: "wrong-token" });
    await assert.rejects(cache.get("x"), /Unauthorized/);
    await assert.rejects(cache.set("x", 1), /Unauthorized/);
    assert.equal(await cache.ping(), false);
  });

  test("an unreachable endpoint fails fast with retries: 0", async () => {
    const cache = upstashCache({ url: `http://127.0.0.1:${await freePort()}` });
    const started = performance.now();
    await assert.rejects(cache.get("x"));
    assert.equal(await cache.ping(), false);
    assert.ok(performance.now() - started < 2_000, "took too long");
  });
});

describe("Upstash REST test server", { concurrency: true }, () => {
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}`, ...headers },
      body: JSON.stringify(body),
    });

  test("answers 401 without the Bearer header or with a wrong token", async () => {
    const none = await fetch(`${server.url}/`, { method: "POST", body: '["PING"]' });
    assert.equal(none.status, 401);
    assert.deepEqual(await none.json(), { error: "Unauthorized" });
    const wrong = await post("/", ["PING"], { authorization: "Bearer nope" });
    assert.equal(wrong.status, 401);
    assert.deepEqual(await wrong.json(), { error: "Unauthorized" });
    const right = await post("/", ["PING"]);
    assert.equal(right.status, 200);
    assert.deepEqual(await right.json(), { result: "PONG" });
  });

  test("runs single commands, plain and base64-encoded", async () => {
    const key = `${runPrefix}srv:single`;
    const set = await post("/", ["SET", key, "héllo", "PX", 5000]);
    assert.equal(set.status, 200);
    assert.deepEqual(await set.json(), { result: "OK" });
    assert.deepEqual(await (await post("/", ["GET", key])).json(), { result: "héllo" });
    const encoded = await post("/", ["GET", key], { "upstash-encoding": "base64" });
    assert.deepEqual(await encoded.json(), { result: Buffer.from("héllo").toString("base64") });
    const ok = await post("/", ["SET", key, "v"], { "upstash-encoding": "base64" });
    assert.deepEqual(await ok.json(), { result: "OK" });
    const pong = await post("/", ["PING"], { "upstash-encoding": "base64" });
    assert.deepEqual(await pong.json(), { result: Buffer.from("PONG").toString("base64") });
  });

  test("turns Redis errors into HTTP 400 with the Redis message", async () => {
    const res = await post("/", ["SET", `${runPrefix}srv:err`]);
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error?: string };
    assert.match(body.error ?? "", /^ERR wrong number of arguments/);
    const bogus = await post("/", ["NOPE"]);
    assert.equal(bogus.status, 400);
  });

  test("runs pipelines with per-command results and errors", async () => {
    const key = `${runPrefix}srv:pipe`;
    const res = await post("/pipeline", [
      ["SET", key, "notanumber"],
      ["INCR", key],
      ["GET", key],
    ]);
    assert.equal(res.status, 200);
    const body = (await res.json()) as Array<{ result?: unknown; error?: string }>;
    assert.equal(body.length, 3);
    assert.deepEqual(body[0], { result: "OK" });
    assert.match(body[1]?.error ?? "", /not an integer/);
    assert.deepEqual(body[2], { result: "notanumber" });
  });

  test("runs multi-exec atomically and aborts on a syntax error", async () => {
    const key = `${runPrefix}srv:tx`;
    const res = await post("/multi-exec", [
      ["INCR", key],
      ["PEXPIRE", key, 5000, "NX"],
      ["PTTL", key],
    ]);
    assert.equal(res.status, 200);
    const body = (await res.json()) as Array<{ result?: number }>;
    assert.equal(body[0]?.result, 1);
    assert.equal(body[1]?.result, 1);
    assert.ok((body[2]?.result ?? 0) > 4000);
    const aborted = await post("/multi-exec", [["INCR", key], ["SET"]]);
    assert.equal(aborted.status, 400);
    assert.match(((await aborted.json()) as { error: string }).error, /EXECABORT/);
    assert.equal(await raw.get(key), "1");
  });
});
