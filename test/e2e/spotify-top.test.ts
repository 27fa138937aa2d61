import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { httpErrorOf } from "#shared/http/errors.ts";
import { spotifyTop, TOP_CACHE_TTL_MS } from "#shared/spotify/top.ts";
import { type SpotifyApi, SpotifyError } from "#shared/spotify/types.ts";
import { bearer, startTestApp, type TestApp } from "#test/support/app.ts";
import { linkSpotify } from "#test/support/capture.ts";
import {
  album,
  appEnvFor,
  artist,
  type FakeSpotify,
  startFakeSpotify,
  track,
} from "#test/support/fake-spotify.ts";

/**
 * GET /spotify/top through the local server against the fake Spotify over HTTP: Spotify's list
 * normalised, cached an hour per (type, range, limit), Spotify's faults as the same HTTP errors
 * as every other Spotify route.
 */

const T0 = Date.parse("2026-11-21T12:00:00.000Z");
let app: TestApp | undefined;
let fake: FakeSpotify;
let token: string;

const the = () => app ?? assert.fail("app not started");
const get = (query: string) =>
  fetch(`${the().url}/spotify/top${query}`, { headers: { authorization: `Bearer ${token}` } });
const topCalls = (kind: "artists" | "tracks") => fake.calls.filter((c) => c.path === `/v1/me/top/${kind}`);

const slowdive = artist({ name: "Slowdive-ish", genres: ["shoegaze", "dream pop"], popularity: 61 });
const techno = artist({ name: "Techno Person", genres: [], popularity: 40 });
const souvlaki = album({ name: "Souvlaki-ish", artists: [slowdive] });
const alison = track({ name: "Alison-ish", duration_ms: 230_000, album: souvlaki, popularity: 55 });
const loops = track({ name: "Loop 1", album: album({ name: "Loops", artists: [techno] }) });

before(async () => {
  fake = await startFakeSpotify({ now: () => app?.deps.clock().getTime() ?? T0 });
  app = await startTestApp({
    ...appEnvFor(fake),
  });
  fake.catalog.add(slowdive, techno, alison, loops);
  token = await bearer(app);
});
after(async () => {
  await app?.close();
  await fake.stop();
});

describe("GET /spotify/top", () => {
  test("before Spotify is linked: 409 naming where to link it", async () => {
    const res = await get("?type=artists");
    assert.equal(res.status, 409);
    assert.equal(((await res.json()) as { error: string }).error, "spotify_not_linked");
  });

  test("top artists, normalised, best first", async () => {
    await linkSpotify(the().deps.store, fake, the().deps.clock());
    const res = await get("?type=artists&time_range=short_term&limit=2");
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as {
      type: string;
      time_range: string;
      limit: number;
      total: number;
      fetched_at: string;
      items: {
        rank: number;
        artist_id: string;
        name: string;
        genres: string[];
        popularity: number;
        image_url: string;
        url: string;
      }[];
    };
    assert.equal(body.type, "artists");
    assert.equal(body.time_range, "short_term");
    assert.equal(body.limit, 2);
    assert.equal(body.total, 2);
    assert.equal(body.fetched_at, new Date(T0).toISOString());
    assert.deepEqual(
      body.items.map((a) => [a.rank, a.artist_id, a.name, a.genres, a.popularity]),
      [
        [1, slowdive.id, "Slowdive-ish", ["shoegaze", "dream pop"], 61],
        [2, techno.id, "Techno Person", [], 40],
      ],
    );
    assert.equal(body.items[0]?.url, slowdive.external_urls.spotify);
    assert.match(
      body.items[0]?.image_url ?? "",
      /\/img\/.*-64\.png$/,
      "the smallest image of at least 64 px",
    );
    const call = topCalls("artists")[0];
    assert.equal(call?.query, "?time_range=short_term&limit=2");
  });

  test("the second call within the hour is served from the cache; another limit or range is not", async () => {
    const before = topCalls("artists").length;
    assert.equal((await get("?type=artists&time_range=short_term&limit=2")).status, 200);
    assert.equal(topCalls("artists").length, before, "cached");
    assert.equal((await get("?type=artists&time_range=short_term&limit=1")).status, 200);
    assert.equal((await get("?type=artists&time_range=long_term&limit=2")).status, 200);
    assert.equal(topCalls("artists").length, before + 2, "one call per (type, range, limit)");
    the().advance(TOP_CACHE_TTL_MS - 1000);
    token = await bearer(the());
    assert.equal((await get("?type=artists&time_range=short_term&limit=2")).status, 200);
    assert.equal(topCalls("artists").length, before + 2, "still cached just before the hour");
    the().advance(2000);
    token = await bearer(the()); // ours lasts an hour too
    const res = await get("?type=artists&time_range=short_term&limit=2");
    assert.equal(topCalls("artists").length, before + 3, "asked again after the hour");
    assert.equal(((await res.json()) as { fetched_at: string }).fetched_at, the().deps.clock().toISOString());
  });

  test("top tracks carry their artists and album", async () => {
    const res = await get("?type=tracks");
    assert.equal(res.status, 200);
    const body = (await res.json()) as {
      time_range: string;
      limit: number;
      items: {
        rank: number;
        track_id: string;
        name: string;
        artists: unknown;
        album: { id: string; name: string } | null;
        duration_ms: number;
        popularity: number;
      }[];
    };
    assert.equal(body.time_range, "medium_term", "Spotify's default window");
    assert.equal(body.limit, 20);
    const first = body.items[0];
    assert.deepEqual(
      [first?.rank, first?.track_id, first?.name, first?.duration_ms, first?.popularity],
      [1, alison.id, "Alison-ish", 230_000, 55],
    );
    assert.deepEqual(first?.artists, [{ id: slowdive.id, name: "Slowdive-ish" }]);
    assert.equal(first?.album?.id, souvlaki.id);
    assert.deepEqual(
      body.items.map((t) => t.track_id),
      [alison.id, loops.id],
    );
  });

  test("a 429 from Spotify is a 429 with Retry-After, and is not cached", async () => {
    fake.faults.next(1, { status: 429, retryAfterSeconds: 120 }, (_m, p) => p === "/v1/me/top/tracks");
    const res = await get("?type=tracks&limit=3");
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("retry-after"), "120");
    const again = await get("?type=tracks&limit=3");
    assert.equal(again.status, 200, "the fault was not remembered as an answer");
  });

  test("bad parameters are a 400 naming them; no token is a 401", async () => {
    const res = await get("?type=albums&limit=51");
    assert.equal(res.status, 400);
    const body = (await res.json()) as { fields: { field: string }[] };
    assert.deepEqual(body.fields.map((f) => f.field).sort(), ["query.limit", "query.type"]);
    assert.equal((await fetch(`${the().url}/spotify/top?type=artists`)).status, 401);
  });

  test("a link without user-top-read (Spotify's 403) asks to link again", async () => {
    const refusing: SpotifyApi = {
      topItems: async () => {
        throw new SpotifyError({ type: "unavailable", message: "Insufficient client scope", status: 403 });
      },
    } as unknown as SpotifyApi;
    await assert.rejects(
      spotifyTop(the().deps, { type: "artists", time_range: "medium_term", limit: 7 }, refusing),
      (err: unknown) => {
        // A domain error; the one table gives it its status.
        const http = httpErrorOf(err);
        assert.equal(http?.status, 409);
        assert.equal(http?.code, "spotify_scope_missing");
        assert.match((err as Error).message, /user-top-read/);
        return true;
      },
    );
  });
});
