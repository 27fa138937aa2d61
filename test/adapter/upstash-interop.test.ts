import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { Redis } from "@upstash/redis";
import { createUpstashCache } from "#shared/cache/upstash.ts";
import { redisPort } from "#test/support/services.ts";
import { startUpstashServer } from "#test/support/upstash-server.ts";

/**
 * shared/cache/upstash.ts speaks Upstash's REST protocol itself (the official client cannot
 * be tree-shaken out of the Lambda bundles). The official client stays a dev dependency so
 * that this test can hold both sides to the same protocol: what one writes through the test
 * server the other reads back, and the server answers the official client's base64-encoded
 * replies too, so the server is not merely agreeing with our own adapter.
 */

const TOKEN = "interop-token";
const port = await redisPort();
const server = await startUpstashServer({ redisPort: port, token: TOKEN });
after(() => server.stop());

const prefix = `hoardify-test:interop:${process.pid}:${Date.now().toString(36)}:`;
const ours = createUpstashCache({ url: server.url, token: TOKEN, keyPrefix: prefix });
const official = new Redis({
  url: server.url,
  token: TOKEN,
  automaticDeserialization: false,
  enableTelemetry: false,
});

describe("Upstash REST adapter against the official client", () => {
  test("values written by the adapter read back as the same JSON text through the official client", async () => {
    const value = { track: "Hoppípolla", artists: ["Sigur Rós"], ms: 268_000, playing: true };
    await ours.set("np", value);
    await ours.set("n", "123");
    assert.equal(await official.get(`${prefix}np`), JSON.stringify(value));
    assert.equal(await official.get(`${prefix}n`), JSON.stringify("123"));
  });

  test("values written by the official client read back through the adapter, MGET included", async () => {
    await official.set(`${prefix}a`, JSON.stringify({ a: 1 }));
    await official.set(`${prefix}b`, JSON.stringify("two ♪"));
    assert.deepEqual(await ours.get("a"), { a: 1 });
    assert.deepEqual(await ours.getMany(["a", "missing", "b"]), [{ a: 1 }, null, "two ♪"]);
  });

  test("expiry set by the adapter is what the official client sees", async () => {
    await ours.set("ttl", 1, { ttlMs: 60_000 });
    const pttl = await official.pttl(`${prefix}ttl`);
    assert.ok(pttl > 50_000 && pttl <= 60_000, `PTTL ${pttl}`);
    assert.ok(((await ours.ttlMs("ttl")) ?? 0) > 50_000);
  });

  test("a lease taken by the adapter is refused to the official client's SET NX, and vice versa", async () => {
    assert.equal(await ours.setIfAbsent("lease", "me", { ttlMs: 60_000 }), true);
    assert.equal(
      await official.set(`${prefix}lease`, JSON.stringify("them"), { nx: true, px: 60_000 }),
      null,
    );
    assert.equal(
      await official.set(`${prefix}lease2`, JSON.stringify("them"), { nx: true, px: 60_000 }),
      "OK",
    );
    assert.equal(await ours.setIfAbsent("lease2", "me", { ttlMs: 60_000 }), false);
    assert.equal(await ours.get("lease2"), "them");
  });
});
