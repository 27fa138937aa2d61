import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { recordListen } from "#shared/capture/record.ts";
import { syntheticArtistId } from "#shared/domain/names.ts";
import type { ImportSummary } from "#shared/http/schemas.ts";
import { rebuildAggregates } from "#shared/stats/rebuild.ts";
import { bearer, startTestApp, type TestApp } from "#test/support/app.ts";
import { accountRow, trackRow } from "#test/support/exports.ts";
import {
  album,
  appEnvFor,
  artist,
  type FakeSpotify,
  startFakeSpotify,
  track,
} from "#test/support/fake-spotify.ts";
import { allPlays, statistics } from "#test/support/hoard.ts";

/**
 * Imported tracks resolved through Spotify's track endpoint (the fake, over HTTP): artists,
 * albums and genres of imported listens move from name keys to Spotify's ids, `counted` is
 * decided again with the real duration, and every statistic stays exact (a rebuild from the
 * plays agrees).
 */

const S = 1000;
const T0 = Date.parse("2025-06-01T08:00:00.000Z");
let app: TestApp | undefined;
let fake: FakeSpotify;
let token: string;
const the = () => app ?? assert.fail("app not started");

const rick = artist({ name: "Rick Astley", genres: ["dance pop"] });
const lp = album({ name: "Whenever You Need Somebody", artists: [rick] });
const A = track({ name: "Never Gonna Give You Up", artists: [rick], album: lp, duration_ms: 213_000 });
const J = track({ name: "Jingle", artists: [rick], album: lp, duration_ms: 36_000 });
const UNKNOWN = "U0000000000000000000uu";
const idOf = (t: { id: string | null }) => t.id ?? assert.fail("a catalogue track has an id");

before(async () => {
  fake = await startFakeSpotify({ now: () => app?.deps.clock().getTime() ?? T0 });
  fake.catalog.add(A, J);
  app = await startTestApp({ ...appEnvFor(fake) });
  const tokens = fake.issueTokens();
  await app.deps.store.saveSpotifyLink({
    refresh_token: tokens.refresh_token,
    scope: "user-read-playback-state user-read-currently-playing user-read-recently-played",
    linked_at: new Date(T0).toISOString(),
    user_id: fake.user.id,
    display_name: fake.user.display_name,
    needs_reauth: false,
    reauth_reason: null,
  });
  token = await bearer(app);
});
after(async () => {
  await app?.close();
  await fake.stop();
});

const auth = () => ({ authorization: `Bearer ${token}` });
const post = (path: string, body?: string) =>
  fetch(`${the().url}${path}`, { method: "POST", headers: auth(), ...(body ? { body } : {}) });

const names = (items: { name: string | null; plays: number }[]) => items.map((i) => [i.name, i.plays]);

describe("imported tracks learn their artists, album and duration from Spotify", () => {
  const at = (s: number) => T0 + s * S;
  const ofA = { id: idOf(A), name: A.name, artist: "Rick Astley", album: lp.name };
  const ofJ = { id: idOf(J), name: J.name, artist: "Rick Astley", album: lp.name };
  const rows = [
    trackRow({ ...ofA, end: at(200), ms: 200_000 }),
    trackRow({ ...ofA, end: at(300), ms: 40_000, reason_end: "fwdbtn" }),
    trackRow({ ...ofA, end: at(400), ms: 20_000, reason_end: "fwdbtn" }),
    // 20 s of a 36 s jingle is more than half: it counts once the duration is known.
    trackRow({ ...ofJ, end: at(500), ms: 20_000 }),
    trackRow({ ...ofJ, end: at(600), ms: 5_000 }),
    trackRow({ id: UNKNOWN, name: "Gone", artist: "Nobody Knows", end: at(900), ms: 100_000 }),
  ];

  test("right after the import: artists and albums by name, 30 s decides", async () => {
    const res = await post("/import?file=Streaming_History_Audio_2025.json", JSON.stringify(rows));
    assert.equal(res.status, 200, await res.clone().text());
    const summary = (await res.json()) as ImportSummary;
    assert.deepEqual([summary.imported, summary.counted], [6, 3]);
    // The older export: no ids at all; Rick Astley's artist id comes from the tracks above.
    const account = JSON.stringify([
      accountRow(at(2000), 100_000, "Kylie Minogue", "Locomotion"),
      accountRow(at(2300), 100_000, "RICK ASTLEY", "Together Forever"),
      // One song in both formats: two tracks until Spotify's names link them.
      accountRow(at(2600), 100_000, "Rick Astley", "Never Gonna Give You Up"),
    ]);
    assert.equal((await post("/import?file=StreamingHistory_music_0.json", account)).status, 200);

    const s = await statistics(the().deps.store, the().deps.clock().getTime());
    assert.deepEqual(names(s.artists), [
      ["Rick Astley", 4],
      ["Kylie Minogue", 1],
      ["Nobody Knows", 1],
    ]);
    assert.equal(s.artists[0]?.artist_id, syntheticArtistId("Rick Astley"));
    assert.deepEqual(
      s.genres.map((g) => [g.genre, g.plays]),
      [["(no genre)", 6]],
    );
    assert.deepEqual(names(s.albums), [
      [lp.name, 2],
      ["Gone (album)", 1],
    ]);
  });

  test("a live listen of an imported track does not hide its imported plays from resolution", async () => {
    // Live capture writes the track document with Spotify's artists, album and duration.
    const info = {
      track_id: idOf(A),
      kind: "track" as const,
      name: A.name,
      uri: A.uri,
      artists: [{ id: rick.id, name: rick.name }],
      album: { id: lp.id, name: lp.name, image_url: null },
      duration_ms: 213_000,
    };
    const result = await recordListen(
      the().deps.store,
      {
        track_id: info.track_id,
        kind: "track",
        name: info.name,
        artists: info.artists,
        album_id: lp.id,
        listened_at: new Date(at(5000)).toISOString(),
        ended_at: new Date(at(5150)).toISOString(),
        listened_ms: 150_000,
        duration_ms: 213_000,
        counted: true,
        estimated: false,
        source: "poll",
        device_name: null,
        device_type: null,
        context_type: null,
        context_uri: null,
        shuffle_state: null,
      },
      info,
    );
    assert.equal(result, "recorded");
    const a = await the().deps.store.getTrack(info.track_id);
    assert.deepEqual(a?.artists, info.artists, "the document looks resolved");
  });

  test("the sync resolves them (one id at a time where batches are refused), exactly", async () => {
    fake.setBatchEndpointsRefused(true);
    // Spotify's quota first: the run stops with nothing half-moved; the next one does it all.
    fake.faults.next(1, { status: 429, retryAfterSeconds: 60 }, (_m, p) => p.startsWith("/v1/tracks/"));
    const stopped = await post("/spotify/sync-metadata");
    assert.equal(stopped.status, 429);
    assert.equal(stopped.headers.get("retry-after"), "60");
    const before = await statistics(the().deps.store, the().deps.clock().getTime());
    assert.equal(before.artists[0]?.artist_id, syntheticArtistId("Rick Astley"));
    the().advance(61 * S);

    const res = await post("/spotify/sync-metadata");
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as { tracks: unknown; artists: { synced: number } };
    // A and J resolved, U unknown to Spotify; the account file's "Never Gonna Give You Up"
    // merged into A; its "Together Forever" (no Spotify track) linked to Rick Astley's id.
    assert.deepEqual(body.tracks, { synced: 2, missing: 1, failed: 0, remaining: 0, linked: 1, merged: 1 });
    assert.equal(body.artists.synced, 1, "Rick Astley's genres, in the same run");
    assert.ok(fake.calls.some((c) => c.path === `/v1/tracks/${A.id}`));

    const store = the().deps.store;
    const now = the().deps.clock().getTime();
    const s = await statistics(store, now);
    assert.deepEqual(names(s.artists), [
      ["Rick Astley", 6],
      ["Kylie Minogue", 1],
      ["Nobody Knows", 1],
    ]);
    assert.equal(s.artists[0]?.artist_id, rick.id, "merged into Spotify's id");
    assert.deepEqual(
      s.tracks.slice(0, 1).map((t) => [t.track_id, t.plays]),
      [[idOf(A), 4]],
      "one song, one track",
    );
    assert.equal(s.summary.distinct_artists, 3, "no name-keyed Rick Astley left beside it");
    assert.deepEqual(
      s.genres.map((g) => [g.genre, g.plays]),
      [
        ["dance pop", 6],
        ["(no genre)", 2],
      ],
    );
    assert.equal(s.albums[0]?.album_id, lp.id);
    assert.equal(s.albums[0]?.plays, 5);
    assert.equal(s.summary.plays, 8);
    const plays = await allPlays(store);
    const jingle = plays
      .filter((p) => p.track_id === J.id)
      .map((p) => [p.listened_ms, p.counted, p.duration_ms]);
    assert.deepEqual(jingle.sort(), [
      [20_000, true, 36_000],
      [5_000, false, 36_000],
    ]);
    const a = await store.getTrack(idOf(A));
    assert.deepEqual([a?.listen_count, a?.skip_count, a?.duration_ms], [4, 1, 213_000]);
    assert.equal((await store.getTrack(idOf(J)))?.listen_count, 1);
    assert.deepEqual(
      [(await store.getCounts()).counted_plays, (await store.getCounts()).tracks, plays.length],
      [8, 5, 10],
    );

    // Exact: recomputing every counter from the plays changes no statistic.
    await rebuildAggregates(store);
    const rebuilt = await statistics(store, now);
    assert.deepEqual({ ...rebuilt, counters: [] }, { ...s, counters: [] });

    // Progress in /admin/system-stats; a second run has nothing left to ask.
    const stats = (await (await fetch(`${the().url}/admin/system-stats`, { headers: auth() })).json()) as {
      jobs: Record<string, { last: { result: { tracks?: unknown } } | null }>;
    };
    assert.deepEqual(stats.jobs["metadata-sync"]?.last?.result.tracks, body.tracks);
    const from = fake.calls.length;
    const again = (await (await post("/spotify/sync-metadata")).json()) as { tracks: unknown };
    assert.deepEqual(again.tracks, { synced: 0, missing: 0, failed: 0, remaining: 0, linked: 0, merged: 0 });
    assert.ok(!fake.calls.slice(from).some((c) => c.path.startsWith("/v1/tracks")));
    fake.setBatchEndpointsRefused(false);
  });

  test("importing the file again adds nothing and keeps what Spotify said", async () => {
    const res = await post("/import?file=again.json", `${JSON.stringify(rows)}\n`);
    const summary = (await res.json()) as ImportSummary;
    assert.deepEqual([summary.imported, summary.matched], [0, 6]);
    const s = await statistics(the().deps.store, the().deps.clock().getTime());
    assert.equal(s.artists[0]?.artist_id, rick.id);
    assert.equal(s.summary.plays, 8);
  });
});
