import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { cacheKeys } from "#shared/cache/keys.ts";
import { createMemoryCache } from "#shared/cache/memory.ts";
import type { Cache } from "#shared/cache/port.ts";
import { type Config, loadConfig } from "#shared/config.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import { logger } from "#shared/logger.ts";
import { createSpotifyClient, type SpotifyClientOptions } from "#shared/spotify/client.ts";
import { SpotifyError, type SpotifyFault } from "#shared/spotify/types.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import type { Store } from "#shared/store/port.ts";
import { createDynamoStore } from "#shared/store/repository.ts";
import {
  album,
  appEnvFor,
  artist,
  episode,
  type FakeSpotify,
  localFile,
  spotifyId,
  startFakeSpotify,
  track,
} from "#test/support/fake-spotify.ts";
import { dynamoEndpoint, uniqueTableName } from "#test/support/services.ts";

/**
 * The HTTP client against the fake Spotify over real HTTP, with the link in DynamoDB Local
 * and the access token in a memory cache. One virtual clock drives the client, the cache
 * and the fake. Each test builds its own "process" (fresh cache = fresh process memory) and,
 * where the link matters, its own table.
 */

logger.setLogLevel("SILENT");

let nowMs = Date.parse("2026-11-21T12:00:00.000Z");
const clock = () => new Date(nowMs);
let fake: FakeSpotify;
let endpoint: string;

before(async () => {
  endpoint = await dynamoEndpoint();
  fake = await startFakeSpotify({ now: () => nowMs });
});
after(() => fake.stop());

/** A cache that counts reads, to prove a warm process does not ask it on every call. */
function countingCache(): Cache & { gets: number } {
  const inner = createMemoryCache({ now: () => nowMs });
  const counted = Object.assign(Object.create(inner) as Cache, { gets: 0 });
  counted.get = async <T>(key: string) => {
    counted.gets++;
    return inner.get<T>(key);
  };
  return counted;
}

interface World {
  config: Config;
  cache: Cache & { gets: number };
  store: Store;
  client: ReturnType<typeof createSpotifyClient>;
  /** A new client on the same store; `freshProcess` also gives it an empty cache (a cold container, a wiped Redis). */
  another(opts?: { freshProcess?: boolean } & SpotifyClientOptions): ReturnType<typeof createSpotifyClient>;
}

async function world(
  opts: { fake?: FakeSpotify; env?: Record<string, string> } & SpotifyClientOptions = {},
): Promise<World> {
  const f = opts.fake ?? fake;
  const tableName = uniqueTableName("spotify");
  const config = loadConfig({
    TABLE_NAME: tableName,
    ...appEnvFor(f),
    ...opts.env,
  });
  const doc = createDocumentClient({ region: "us-east-1", endpoint });
  await ensureTable(doc, tableName);
  const store = createDynamoStore({ client: doc, tableName, listener: OWNER_ID });
  const cache = countingCache();
  const clientOpts = { fetch: opts.fetch, timeoutMs: opts.timeoutMs, retries: opts.retries };
  const client = createSpotifyClient({ config, cache, store, clock, listener: OWNER_ID }, clientOpts);
  return {
    config,
    cache,
    store,
    client,
    another: (o = {}) =>
      createSpotifyClient(
        { config, cache: o.freshProcess ? countingCache() : cache, store, clock, listener: OWNER_ID },
        { ...clientOpts, ...o },
      ),
  };
}

/** The authorization-code flow by hand: /authorize answers 302 to the redirect URI with a code. */
async function codeFrom(w: World): Promise<string> {
  const res = await fetch(w.client.authorizeUrl("s".repeat(22)), { redirect: "manual" });
  assert.equal(res.status, 302);
  const location = new URL(res.headers.get("location") ?? assert.fail("no Location"));
  assert.equal(location.searchParams.get("state"), "s".repeat(22));
  return location.searchParams.get("code") ?? assert.fail(`no code in ${location}`);
}

async function linked(opts: Parameters<typeof world>[0] = {}): Promise<World> {
  const w = await world(opts);
  await w.client.exchangeCode(await codeFrom(w));
  return w;
}

/** Calls the fake saw from now on. */
function recorder(f: FakeSpotify = fake) {
  const start = f.calls.length;
  const calls = () => f.calls.slice(start);
  return {
    calls,
    tokenRequests: () => calls().filter((c) => c.path === "/accounts/api/token").length,
    to: (path: string) => calls().filter((c) => c.path === path),
  };
}

async function faultOf(p: Promise<unknown>): Promise<SpotifyFault> {
  try {
    await p;
  } catch (err) {
    if (err instanceof SpotifyError) return err.fault;
    throw err;
  }
  return assert.fail("expected a SpotifyError");
}

const TOKEN = "/accounts/api/token";
const PLAYER = "/v1/me/player";

describe("linking and tokens", () => {
  test("exchanging a code saves the link in DynamoDB and the access token in the cache", async () => {
    const w = await world();
    const rec = recorder();
    const link = await w.client.exchangeCode(await codeFrom(w));
    assert.equal(rec.tokenRequests(), 1);
    const stored = await w.store.getSpotifyLink();
    assert.ok(stored);
    assert.deepEqual(stored, link);
    assert.match(stored.refresh_token, /^AQ/);
    assert.match(stored.scope, /user-read-playback-state/);
    assert.equal(stored.user_id, "fakeuser");
    assert.equal(stored.display_name, "Fake User");
    assert.equal(stored.needs_reauth, false);
    assert.equal(stored.linked_at, clock().toISOString());

    const cached = await w.cache.get<{ token: string; expires_at: number }>(cacheKeys.accessToken(OWNER_ID));
    assert.ok(cached);
    assert.match(cached.token, /^BQ/);
    assert.equal(cached.expires_at, nowMs + 3600_000);
    // The cache entry dies a minute before Spotify's token does.
    assert.equal(await w.cache.ttlMs(cacheKeys.accessToken(OWNER_ID)), 3540_000);

    assert.deepEqual(await w.client.currentPlayback(), { type: "nothing" });
    assert.equal(rec.tokenRequests(), 1, "the exchanged token is used, no refresh");
  });

  test("a warm process answers from memory: no cache read per call", async () => {
    const w = await linked();
    await w.client.me();
    const gets = w.cache.gets;
    for (let i = 0; i < 5; i++) await w.client.currentPlayback();
    assert.equal(w.cache.gets, gets);
    // A second client in the same process (the next Lambda invocation) shares that memory.
    await w.another().currentPlayback();
    assert.equal(w.cache.gets, gets);
  });

  test("a cold process with a warm cache reads the cached token instead of refreshing", async () => {
    const w = await linked();
    const rec = recorder();
    // Another cache object over the same entries: no process memory, same Redis.
    const sameRedis = Object.create(w.cache) as Cache;
    await createSpotifyClient({
      config: w.config,
      cache: sameRedis,
      store: w.store,
      clock,
      listener: OWNER_ID,
    }).me();
    assert.equal(rec.tokenRequests(), 0);
    assert.equal(rec.to("/v1/me").length, 1);
  });

  test("an expired token is refreshed before use (no 401 round trip)", async () => {
    const w = await linked();
    await w.client.me();
    const before = await w.cache.get<{ token: string }>(cacheKeys.accessToken(OWNER_ID));
    const rec = recorder();
    nowMs += 3600_000;
    await w.client.me();
    assert.equal(rec.tokenRequests(), 1);
    assert.equal(rec.calls().filter((c) => c.status === 401).length, 0);
    const after = await w.cache.get<{ token: string; expires_at: number }>(cacheKeys.accessToken(OWNER_ID));
    assert.ok(after && before);
    assert.notEqual(after.token, before.token);
    assert.equal(after.expires_at, nowMs + 3600_000);
  });

  test("a wiped cache in a cold process: the link in DynamoDB is enough", async () => {
    const w = await linked();
    const rec = recorder();
    const cold = w.another({ freshProcess: true });
    assert.deepEqual(await cold.me(), { id: "fakeuser", display_name: "Fake User" });
    assert.equal(rec.tokenRequests(), 1);
  });

  test("concurrent calls in a cold process share one token request", async () => {
    const w = await linked();
    const rec = recorder();
    const cold = w.another({ freshProcess: true });
    const results = await Promise.all(Array.from({ length: 6 }, () => cold.currentPlayback()));
    assert.equal(results.length, 6);
    assert.equal(rec.tokenRequests(), 1);
  });

  test("a revoked refresh token marks the link needs_reauth and throws revoked; later calls do not retry", async () => {
    const w = await linked();
    fake.revokeRefreshTokens();
    nowMs += 3600_000;
    const rec = recorder();
    const fault = await faultOf(w.client.currentPlayback());
    assert.equal(fault.type, "revoked");
    assert.equal(rec.tokenRequests(), 1);
    const link = await w.store.getSpotifyLink();
    assert.equal(link?.needs_reauth, true);
    assert.equal(link?.reauth_reason, "Refresh token revoked");
    assert.equal(await w.cache.get(cacheKeys.accessToken(OWNER_ID)), null);

    assert.equal((await faultOf(w.another({ freshProcess: true }).me())).type, "revoked");
    assert.equal(rec.tokenRequests(), 1, "a known-revoked link is not tried again");
    assert.equal(rec.to("/v1/me").length, 0);
  });

  test("a rotated refresh token is saved", async () => {
    const rotating = await startFakeSpotify({ now: () => nowMs, rotateRefreshTokens: true });
    try {
      const w = await world({ fake: rotating });
      await w.client.exchangeCode(await codeFrom(w));
      const first = (await w.store.getSpotifyLink())?.refresh_token;
      nowMs += 3600_000;
      await w.client.me();
      const second = (await w.store.getSpotifyLink())?.refresh_token;
      assert.ok(first && second);
      assert.notEqual(second, first);
      // And the new one works from a cold process.
      nowMs += 3600_000;
      assert.equal((await w.another({ freshProcess: true }).me()).id, "fakeuser");
    } finally {
      await rotating.stop();
    }
  });

  test("not linked, or not configured: not_linked without any request", async () => {
    const rec = recorder();
    const w = await world();
    assert.equal((await faultOf(w.client.currentPlayback())).type, "not_linked");
    const unconfigured = await world({
      env: { SPOTIFY_CLIENT_ID: "", SPOTIFY_CLIENT_SECRET: "", SPOTIFY_REDIRECT_URI: "" },
    });
    const fault = await faultOf(unconfigured.client.me());
    assert.equal(fault.type, "not_linked");
    assert.match("message" in fault ? fault.message : "", /SPOTIFY_CLIENT_ID/);
    assert.equal(rec.calls().length, 0);
  });

  test("an authorization code works once; a second exchange is refused as revoked", async () => {
    const w = await world();
    const code = await codeFrom(w);
    await w.client.exchangeCode(code);
    const fault = await faultOf(w.another({ freshProcess: true }).exchangeCode(code));
    assert.equal(fault.type, "revoked");
  });
});

describe("failures", () => {
  test("a 401 refreshes once and retries once", async () => {
    const w = await linked();
    const rec = recorder();
    fake.faults.next(1, { status: 401 });
    fake.player.play(track({ name: "After 401" }));
    const obs = await w.client.currentPlayback();
    assert.equal(obs.type === "item" && obs.item.name, "After 401");
    assert.equal(rec.tokenRequests(), 1);
    assert.deepEqual(
      rec.to(PLAYER).map((c) => c.status),
      [401, 200],
    );
    fake.player.stop();
  });

  test("a 401 that survives the refresh is unavailable, after exactly one refresh", async () => {
    const w = await linked();
    const rec = recorder();
    fake.faults.next(2, { status: 401 });
    const fault = await faultOf(w.client.currentPlayback());
    assert.deepEqual(fault.type === "unavailable" && fault.status, 401);
    assert.equal(rec.tokenRequests(), 1);
    assert.equal(rec.to(PLAYER).length, 2);
  });

  test("a real expiry (tokens expired server-side) recovers through the 401 path", async () => {
    const w = await linked();
    fake.expireAccessTokens();
    const rec = recorder();
    assert.equal((await w.client.me()).id, "fakeuser");
    assert.equal(rec.tokenRequests(), 1);
  });

  test("429 with Retry-After 3600: rate_limited at once, no retry, no sleep", async () => {
    const w = await linked();
    const rec = recorder();
    fake.faults.next(1, { status: 429, retryAfterSeconds: 3600, reason: "QUOTA_EXCEEDED" });
    const started = performance.now();
    const fault = await faultOf(w.client.currentPlayback());
    const elapsed = performance.now() - started;
    assert.deepEqual(fault, { type: "rate_limited", retryAfterSeconds: 3600, reason: "QUOTA_EXCEEDED" });
    assert.equal(rec.to(PLAYER).length, 1);
    assert.ok(elapsed < 300, `took ${elapsed} ms`);
  });

  test("429 without Retry-After defaults to 30 s", async () => {
    const stripRetryAfter: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (res.status !== 429) return res;
      return new Response(await res.text(), { status: 429, headers: { "content-type": "application/json" } });
    };
    const w = await linked({ fetch: stripRetryAfter });
    fake.faults.next(1, { status: 429, retryAfterSeconds: 5 });
    const fault = await faultOf(w.client.me());
    assert.deepEqual(fault, { type: "rate_limited", retryAfterSeconds: 30, reason: null });
  });

  test("500 twice then OK: success after two retries", async () => {
    const w = await linked();
    const rec = recorder();
    fake.faults.next(2, { status: 500 });
    assert.deepEqual(await w.client.currentPlayback(), { type: "nothing" });
    assert.deepEqual(
      rec.to(PLAYER).map((c) => c.status),
      [500, 500, 204],
    );
  });

  test("5xx on every attempt: unavailable with the status after 1 + retries attempts, quickly", async () => {
    const w = await linked();
    const rec = recorder();
    fake.faults.next(3, { status: 503 });
    const started = performance.now();
    const fault = await faultOf(w.client.currentPlayback());
    assert.equal(fault.type, "unavailable");
    assert.equal(fault.type === "unavailable" && fault.status, 503);
    assert.equal(rec.to(PLAYER).length, 3);
    assert.ok(performance.now() - started < 1000, "backoff stays within its budget");
  });

  test("a response slower than the timeout is unavailable; one slow answer is retried", async () => {
    const w = await linked({ timeoutMs: 500, retries: 1 });
    await w.client.me();
    const rec = recorder();
    // Slow answers take 8 s; giving up well before that shows the timeout, with room for a
    // loaded CI machine (two 500 ms attempts and the backoff take ~1.2 s unloaded; an attempt
    // that itself takes longer than 500 ms on a busy machine would fail the retry).
    fake.faults.next(2, { delayMs: 8000 });
    let started = performance.now();
    const fault = await faultOf(w.client.currentPlayback());
    let elapsed = performance.now() - started;
    assert.equal(fault.type, "unavailable");
    assert.equal(fault.type === "unavailable" && fault.status, null);
    assert.match("message" in fault ? fault.message : "", /500 ms/);
    assert.equal(fake.faults.pending(), 0, "both attempts were made");
    assert.ok(elapsed < 5000, `gave up after ${elapsed} ms`);

    fake.faults.next(1, { delayMs: 8000 });
    started = performance.now();
    assert.deepEqual(await w.client.currentPlayback(), { type: "nothing" });
    elapsed = performance.now() - started;
    assert.equal(fake.faults.pending(), 0);
    assert.ok(elapsed < 5000, `the retry did not wait for the slow answer (${elapsed} ms)`);
    // The fake logs an abandoned request only when its delay ends: let that happen here,
    // not inside a later test's call count.
    for (let i = 0; i < 600 && rec.to(PLAYER).filter((c) => c.status === 0).length < 3; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(rec.to(PLAYER).filter((c) => c.status === 0).length, 3, "three attempts were abandoned");
  });

  test("a reset connection is retried", async () => {
    const w = await linked();
    const rec = recorder();
    fake.faults.next(1, { reset: true });
    assert.equal((await w.client.me()).id, "fakeuser");
    assert.equal(rec.to("/v1/me").length, 2);
  });

  test("a token endpoint outage is unavailable, not revoked", async () => {
    const w = await linked();
    fake.faults.next(3, { status: 503 }, (_m, path) => path === TOKEN);
    const fault = await faultOf(w.another({ freshProcess: true }).me());
    assert.equal(fault.type, "unavailable");
    assert.equal((await w.store.getSpotifyLink())?.needs_reauth, false);
  });
});

describe("player observations", () => {
  let w: World;
  before(async () => {
    w = await linked();
  });
  after(() => fake.player.stop());

  test("idle: nothing", async () => {
    fake.player.stop();
    assert.deepEqual(await w.client.currentPlayback(), { type: "nothing" });
  });

  test("a track, with progress that follows the clock", async () => {
    const t = track({ name: "Harder", duration_ms: 224_000 });
    fake.player.play(t, { context: { type: "playlist", uri: "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M" } });
    nowMs += 10_000;
    const obs = await w.client.currentPlayback();
    assert.equal(obs.type, "item");
    if (obs.type !== "item") return;
    assert.equal(obs.item.key, t.id);
    assert.equal(obs.item.kind, "track");
    assert.equal(obs.item.duration_ms, 224_000);
    assert.equal(obs.progress_ms, 10_000);
    assert.equal(obs.is_playing, true);
    assert.deepEqual(obs.context, { type: "playlist", uri: "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M" });
    assert.match(obs.item.album?.image_url ?? "", /-64\.png$/);
    assert.equal(obs.device?.name, "Fake Desktop");
  });

  test("an episode (asked for with additional_types)", async () => {
    const e = episode({ name: "Ep 1", show: { name: "Show", publisher: "Pub" } });
    fake.player.play(e);
    const obs = await w.client.currentPlayback();
    assert.equal(obs.type === "item" && obs.item.kind, "episode");
    assert.equal(obs.type === "item" && obs.item.key, e.id);
    assert.deepEqual(obs.type === "item" && obs.item.artists, [{ id: null, name: "Pub" }]);
    assert.ok(
      fake.calls.at(-1)?.query.includes("additional_types=track,episode") ||
        fake.calls.at(-1)?.query.includes("additional_types=track%2Cepisode"),
    );
  });

  test("an ad, then a private session", async () => {
    fake.player.startAd(30_000);
    assert.deepEqual(await w.client.currentPlayback(), { type: "unsupported", reason: "ad" });
    fake.player.play(track());
    fake.player.privateSession(true);
    assert.deepEqual(await w.client.currentPlayback(), { type: "private" });
    fake.player.privateSession(false);
  });

  test("a local file is keyed by its URI", async () => {
    const f = localFile({ name: "Demo", artist: "Me", album: "Tapes", duration_ms: 90_000 });
    fake.player.play(f);
    const obs = await w.client.currentPlayback();
    assert.equal(obs.type, "item");
    if (obs.type !== "item") return;
    assert.equal(obs.item.kind, "local");
    assert.equal(obs.item.key, f.uri);
    assert.deepEqual(obs.item.artists, [{ id: null, name: "Me" }]);
  });

  test("recently played: newest first, played_at at the end of each play", async () => {
    fake.player.stop();
    const a = track({ name: "First", duration_ms: 60_000 });
    const b = track({ name: "Second", duration_ms: 60_000 });
    fake.player.play(a);
    fake.player.queue(b);
    const start = nowMs;
    nowMs += 130_000;
    const recent = await w.client.recentlyPlayed({ afterMs: start - 1 });
    assert.deepEqual(
      recent.map((r) => [r.item.name, r.played_at]),
      [
        ["Second", new Date(start + 120_000).toISOString()],
        ["First", new Date(start + 60_000).toISOString()],
      ],
    );
    assert.match(fake.calls.at(-1)?.query ?? "", /limit=50/);
  });
});

describe("metadata", () => {
  test("artists in batches of 50, albums of 20; unknown ids skipped", async () => {
    const w = await linked();
    const artists = Array.from({ length: 60 }, (_, i) => artist({ name: `A${i}`, genres: ["g"] }));
    const albums = Array.from({ length: 23 }, (_, i) => album({ name: `L${i}` }));
    fake.catalog.add(...artists, ...albums);
    const rec = recorder();
    const gotArtists = await w.client.artists([...artists.map((a) => a.id), spotifyId()]);
    assert.equal(gotArtists.length, 60);
    assert.deepEqual(gotArtists[0], {
      id: artists[0]?.id,
      name: "A0",
      genres: ["g"],
      popularity: 50,
      image_url: `${fake.origin}/img/${artists[0]?.id}-64.png`,
    });
    assert.equal(rec.to("/v1/artists").length, 2);
    const gotAlbums = await w.client.albums(albums.map((a) => a.id));
    assert.equal(gotAlbums.length, 23);
    assert.equal(gotAlbums[0]?.label, "Fake Records");
    assert.equal(rec.to("/v1/albums").length, 2);
  });

  test("refused batch endpoints (403): singles, remembered for the process", async () => {
    const w = await linked();
    const artists = [artist(), artist(), artist()];
    const al = album();
    fake.catalog.add(...artists, al);
    fake.setBatchEndpointsRefused(true);
    try {
      const rec = recorder();
      const ids = [...artists.map((a) => a.id), spotifyId()];
      const got = await w.client.artists(ids);
      assert.deepEqual(
        got.map((a) => a.id),
        artists.map((a) => a.id),
      );
      assert.equal(rec.to("/v1/artists").length, 1);
      assert.equal(rec.calls().filter((c) => c.path.startsWith("/v1/artists/")).length, 4);

      const again = recorder();
      assert.equal((await w.client.artists(ids.slice(0, 2))).length, 2);
      assert.equal(again.to("/v1/artists").length, 0, "straight to singles the second time");
      assert.equal(again.calls().filter((c) => c.path.startsWith("/v1/artists/")).length, 2);

      const albumsGot = await w.client.albums([al.id]);
      assert.equal(albumsGot[0]?.id, al.id);
      assert.equal(again.to("/v1/albums").length, 1, "albums learn separately");
    } finally {
      fake.setBatchEndpointsRefused(false);
    }
  });
});
