import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { RECENTLY_PLAYED_CURSOR } from "#shared/capture/backfill.ts";
import type { LoopState } from "#shared/capture/loop.ts";
import { runPollTask } from "#shared/capture/runner.ts";
import type { Play } from "#shared/domain/entities.ts";
import type { ErrorBody } from "#shared/http/errors.ts";
import { bearer, startTestApp, type TestApp } from "#test/support/app.ts";
import {
  album,
  appEnvFor,
  artist,
  type FakeSpotify,
  type SpotifyTrack,
  spotifyId,
  startFakeSpotify,
  track,
} from "#test/support/fake-spotify.ts";

/**
 * The recently-played backfill and the metadata sync through the HTTP routes, against the
 * fake Spotify over HTTP on one virtual clock. The playback loop is the real poll task
 * (runPollTask), ticked by hand so the test decides when the loop is looking and when not.
 */

const S = 1000;
const T0 = Date.parse("2026-11-21T12:00:00.000Z");

let app: TestApp | undefined;
let fake: FakeSpotify;
let token: string;
let loop: LoopState | null = null;

const the = () => app ?? assert.fail("app not started");
const now = () => the().deps.clock().getTime();

before(async () => {
  fake = await startFakeSpotify({ now: () => app?.deps.clock().getTime() ?? T0 });
  app = await startTestApp({
    ...appEnvFor(fake),
  });
  const tokens = fake.issueTokens();
  await app.deps.store.saveSpotifyLink({
    refresh_token: tokens.refresh_token,
    scope: "user-read-playback-state user-read-currently-playing user-read-recently-played",
    linked_at: new Date(now()).toISOString(),
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

/** One poll, as the Step Functions task runs it. */
async function tick() {
  const out = await runPollTask(the().deps, { state: loop });
  loop = out.action === "stop" ? null : out.state;
  return out;
}

/** The loop looks for `ms`, honouring its own delays. */
async function observe(ms: number) {
  const end = now() + ms;
  while (now() < end) {
    const out = await tick();
    the().advance(Math.min(Math.max(1, out.nextDelaySeconds) * S, end - now()));
  }
}

const post = (path: string) =>
  fetch(`${the().url}${path}`, { method: "POST", headers: { authorization: `Bearer ${token}` } });

interface BackfillBody {
  fetched: number;
  matched: number;
  inserted: number;
  skipped: number;
  cursor: string | null;
}
async function runBackfill(): Promise<BackfillBody> {
  const res = await post("/spotify/poll/recently-played");
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as BackfillBody;
}

async function allPlays(): Promise<Play[]> {
  return (await the().deps.store.listPlays({ limit: 500 })).items.toReversed();
}
const playsOf = async (t: SpotifyTrack) => (await allPlays()).filter((p) => p.track_id === t.id);

/** When Spotify says the n-th listed play of `t` ended (oldest first). */
function playedAt(t: SpotifyTrack, n = 0): string {
  const hit = fake.history.filter((h) => h.track.id === t.id).toReversed()[n];
  return hit?.played_at ?? assert.fail(`${t.name} #${n} is not listed`);
}

const shoegaze = artist({ name: "Slowdive-ish", genres: ["shoegaze", "dream pop"], popularity: 61 });
const techno = artist({ name: "Techno Person", genres: ["minimal techno"], popularity: 40 });
const albumA = album({
  name: "Souvlaki-ish",
  artists: [shoegaze],
  label: "Creation-ish",
  release_date: "1993-05-17",
});
const albumC = album({
  name: "Loops",
  artists: [techno],
  label: "Kompakt-ish",
  album_type: "single",
  total_tracks: 4,
});
const A = track({ name: "A", duration_ms: 200 * S, album: albumA });
const B = track({ name: "B", duration_ms: 150 * S, album: albumA });
const C = track({ name: "C", duration_ms: 180 * S, album: albumC });
const D = track({ name: "D", duration_ms: 120 * S });
const F = track({ name: "F", duration_ms: 60 * S });
const H = track({ name: "H", duration_ms: 200 * S });

describe("recently-played backfill", () => {
  test("the route needs a bearer token", async () => {
    const res = await fetch(`${the().url}/spotify/poll/recently-played`, { method: "POST" });
    assert.equal(res.status, 401);
  });

  test("plays the loop recorded are matched; plays it missed are inserted as estimated", async () => {
    // The loop watches A then B.
    fake.player.play(A);
    fake.player.queue(B);
    await observe(360 * S);
    assert.deepEqual(
      (await allPlays()).map((p) => [p.name, p.source]),
      [
        ["A", "poll"],
        ["B", "poll"],
      ],
      "the loop recorded A and B",
    );
    // The loop is gone: C, A again and D play unseen.
    the().advance(40 * S);
    fake.player.play(C);
    fake.player.queue(A, D);
    the().advance(600 * S);

    const r = await runBackfill();
    assert.deepEqual(r, { fetched: 5, matched: 2, inserted: 3, skipped: 0, cursor: playedAt(D) });

    const plays = await allPlays();
    assert.deepEqual(
      plays.map((p) => [p.name, p.source, p.estimated]),
      [
        ["A", "poll", false],
        ["B", "poll", false],
        ["C", "backfill", true],
        ["A", "backfill", true],
        ["D", "backfill", true],
      ],
    );
    for (const [t, n] of [
      [C, 0],
      [A, 1],
      [D, 0],
    ] as const) {
      const end = playedAt(t, n);
      const p =
        plays.find((x) => x.track_id === t.id && x.ended_at === end) ?? assert.fail(`${t.name} #${n}`);
      assert.equal(p.listened_at, new Date(Date.parse(end) - t.duration_ms).toISOString(), `${t.name} start`);
      assert.equal(p.listened_ms, t.duration_ms, `${t.name} listened`);
      assert.equal(p.counted, true, `${t.name} counted`);
    }
    assert.equal(
      (await the().deps.store.getTrack(A.id ?? ""))?.listen_count,
      2,
      "A counted twice, once per play",
    );
    assert.equal(await the().deps.store.getCursor(RECENTLY_PLAYED_CURSOR), String(Date.parse(playedAt(D))));

    const [run] = await the().deps.store.listJobRuns("backfill", 1);
    assert.equal(run?.ok, true);
    assert.equal(run?.result.inserted, 3);
    assert.equal(run?.result.trigger, "http");
  });

  test("a second run inserts nothing, with the cursor and without it", async () => {
    the().advance(S);
    const again = await runBackfill();
    assert.deepEqual(again, { fetched: 0, matched: 0, inserted: 0, skipped: 0, cursor: playedAt(D) });

    // Even from scratch every entry is found in the store (the estimated ones by their own end).
    await the().deps.store.setCursor(RECENTLY_PLAYED_CURSOR, String(T0 - S));
    the().advance(S);
    const replay = await runBackfill();
    assert.deepEqual(replay, { fetched: 5, matched: 5, inserted: 0, skipped: 0, cursor: playedAt(D) });
    assert.equal((await allPlays()).length, 5);
  });

  test("while the loop is live, the newest entries wait for it: the poll's listen arrives later and is matched", async () => {
    the().advance(60 * S);
    fake.player.play(F);
    await tick();
    the().advance(30 * S);
    await tick();
    // F ends at 60 s; the loop is slow to look again (a back-off) and the backfill runs first.
    the().advance(60 * S);
    const early = await runBackfill();
    assert.deepEqual(early, { fetched: 1, matched: 0, inserted: 0, skipped: 1, cursor: playedAt(D) });
    assert.equal((await playsOf(F)).length, 0, "nothing stored for F yet");

    await tick(); // the loop sees F's end and records it
    const [polled, ...rest] = await playsOf(F);
    assert.equal(polled?.source, "poll");
    assert.equal(rest.length, 0);

    the().advance(6 * 60 * S);
    const later = await runBackfill();
    assert.deepEqual(later, { fetched: 1, matched: 1, inserted: 0, skipped: 0, cursor: playedAt(F) });
    assert.deepEqual(
      (await playsOf(F)).map((p) => p.source),
      ["poll"],
      "one record of F",
    );
  });

  test("a listen the loop saw paused and then skipped is matched, though Spotify lists it at the skip", async () => {
    the().advance(60 * S);
    fake.player.play(H);
    await observe(50 * S);
    fake.player.pause();
    await observe(300 * S);
    fake.player.next();
    await tick();
    const [polled] = await playsOf(H);
    const listed = Date.parse(playedAt(H));
    assert.ok(polled, "the loop recorded H");
    assert.ok(listed - Date.parse(polled.ended_at) > 200 * S, "Spotify's end is long after the loop's");

    the().advance(6 * 60 * S);
    const r = await runBackfill();
    assert.deepEqual(r, { fetched: 1, matched: 1, inserted: 0, skipped: 0, cursor: playedAt(H) });
    assert.equal((await playsOf(H)).length, 1, "one record of H");
  });
});

interface SyncBody {
  artists: { synced: number; missing: number; failed: number };
  albums: { synced: number; missing: number; failed: number };
}
async function runSync(query = ""): Promise<SyncBody> {
  const res = await post(`/spotify/sync-metadata${query}`);
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as SyncBody;
}

describe("metadata sync", () => {
  test("?limit is validated", async () => {
    for (const bad of ["0", "501", "x"]) {
      const res = await post(`/spotify/sync-metadata?limit=${bad}`);
      assert.equal(res.status, 400, bad);
      assert.equal(((await res.json()) as ErrorBody).fields?.[0]?.field, "query.limit");
    }
  });

  test("fills genres, popularity, label and release date, and empties the unsynced index", async () => {
    const store = the().deps.store;
    const artists = await store.listUnsyncedArtists(100);
    const albums = await store.listUnsyncedAlbums(100);
    assert.ok(artists.includes(shoegaze.id) && artists.includes(techno.id), "the played artists are queued");
    assert.ok(albums.length >= 4, `albums queued: ${albums.length}`);

    const t1 = new Date(now()).toISOString();
    const first = await runSync("?limit=2");
    assert.deepEqual(first.artists, { synced: 2, missing: 0, failed: 0 });
    assert.deepEqual(first.albums, { synced: 2, missing: 0, failed: 0 });
    assert.equal((await store.listUnsyncedArtists(100)).length, artists.length - 2);

    the().advance(S);
    const t2 = new Date(now()).toISOString();
    const rest = await runSync();
    assert.deepEqual(rest.artists, { synced: artists.length - 2, missing: 0, failed: 0 });
    assert.deepEqual(rest.albums, { synced: albums.length - 2, missing: 0, failed: 0 });
    assert.deepEqual(await store.listUnsyncedArtists(100), []);
    assert.deepEqual(await store.listUnsyncedAlbums(100), []);

    const a = await store.getArtist(shoegaze.id);
    assert.deepEqual(a?.genres, ["shoegaze", "dream pop"]);
    assert.equal(a?.popularity, 61);
    assert.match(a?.image_url ?? "", /^http:\/\/127\.0\.0\.1:\d+\/img\//);
    assert.ok([t1, t2].includes(a?.synced_at ?? ""), `synced_at ${a?.synced_at} is when a run saved it`);
    assert.deepEqual((await store.getArtist(techno.id))?.genres, ["minimal techno"]);
    const al = await store.getAlbum(albumC.id);
    assert.equal(al?.label, "Kompakt-ish");
    assert.equal(al?.album_type, "single");
    assert.equal(al?.total_tracks, 4);
    assert.equal((await store.getAlbum(albumA.id))?.release_date, "1993-05-17");
    const runs = await store.listJobRuns("metadata-sync", 5);
    assert.equal(runs.length, 2);
    assert.ok(runs.every((r) => r.ok));
  });

  test("with the batch endpoints refused it syncs one id at a time; ids Spotify lost leave the queue", async () => {
    const store = the().deps.store;
    const known = artist({ name: "Late Artist", genres: ["post-rock"] });
    const knownAlbum = album({ name: "Late Album", artists: [known], label: "Constellation-ish" });
    fake.catalog.add(known, knownAlbum);
    const lost = spotifyId();
    await store.putArtistIfAbsent({ artist_id: known.id, name: known.name });
    await store.putArtistIfAbsent({ artist_id: lost, name: "Deleted Artist" });
    await store.putAlbumIfAbsent({
      album_id: knownAlbum.id,
      name: knownAlbum.name,
      artists: [],
      image_url: null,
    });
    fake.setBatchEndpointsRefused(true);
    const from = fake.calls.length;

    the().advance(S);
    const r = await runSync();
    assert.deepEqual(r.artists, { synced: 1, missing: 1, failed: 0 });
    assert.deepEqual(r.albums, { synced: 1, missing: 0, failed: 0 });
    assert.deepEqual(await store.listUnsyncedArtists(100), []);
    assert.deepEqual(await store.listUnsyncedAlbums(100), []);
    assert.deepEqual((await store.getArtist(known.id))?.genres, ["post-rock"]);
    assert.equal((await store.getAlbum(knownAlbum.id))?.label, "Constellation-ish");
    const gone = await store.getArtist(lost);
    assert.equal(gone?.name, "Deleted Artist");
    assert.deepEqual(gone?.genres, []);
    assert.equal(gone?.synced_at, new Date(now()).toISOString());

    const calls = fake.calls.slice(from);
    assert.ok(
      calls.some((c) => c.path === "/v1/artists" && c.status === 403),
      "the batch was refused",
    );
    assert.ok(
      calls.some((c) => c.path === `/v1/artists/${known.id}` && c.status === 200),
      "then asked singly",
    );
    assert.ok(calls.some((c) => c.path === `/v1/albums/${knownAlbum.id}` && c.status === 200));
    fake.setBatchEndpointsRefused(false);
  });
});

describe("Spotify faults over HTTP", () => {
  test("Spotify down: 503, recorded as a failed run", async () => {
    the().advance(S);
    fake.faults.next(3, { status: 503 }, (_m, p) => p === "/v1/me/player/recently-played");
    const res = await post("/spotify/poll/recently-played");
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as ErrorBody).error, "spotify_unavailable");
    const [run] = await the().deps.store.listJobRuns("backfill", 1);
    assert.equal(run?.ok, false);
    assert.equal(run?.result.fault, "unavailable");
  });

  test("429 from Spotify: 429 with Retry-After, and the other job waits too", async () => {
    the().advance(S);
    fake.faults.next(
      1,
      { status: 429, retryAfterSeconds: 120 },
      (_m, p) => p === "/v1/me/player/recently-played",
    );
    const res = await post("/spotify/poll/recently-played");
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("retry-after"), "120");
    assert.equal(((await res.json()) as ErrorBody).error, "rate_limited");
    const [run] = await the().deps.store.listJobRuns("backfill", 1);
    assert.equal(run?.ok, false);
    assert.equal(run?.result.fault, "rate_limited");

    the().advance(20 * S);
    const from = fake.calls.length;
    const sync = await post("/spotify/sync-metadata");
    assert.equal(sync.status, 429);
    assert.equal(sync.headers.get("retry-after"), "100");
    assert.equal(fake.calls.length, from, "Spotify was not asked during the wait");

    the().advance(101 * S);
    assert.equal((await post("/spotify/sync-metadata")).status, 200);
  });

  test("the hourly job runs the backfill then the sync; a 429 stops it without throwing", async () => {
    const { handler: hourly } = await import("#functions/hourly.ts");
    const store = the().deps.store;
    the().advance(S);
    await hourly();
    const [backfillRun] = await store.listJobRuns("backfill", 1);
    const [syncRun] = await store.listJobRuns("metadata-sync", 1);
    assert.equal(backfillRun?.ok, true);
    assert.equal(backfillRun?.result.trigger, "schedule");
    assert.equal(syncRun?.result.trigger, "schedule");
    const syncRuns = (await store.listJobRuns("metadata-sync", 50)).length;

    the().advance(S);
    fake.faults.next(
      1,
      { status: 429, retryAfterSeconds: 30 },
      (_m, p) => p === "/v1/me/player/recently-played",
    );
    await hourly();
    const [limited] = await store.listJobRuns("backfill", 1);
    assert.equal(limited?.ok, false);
    assert.equal(limited?.result.fault, "rate_limited");
    assert.equal((await store.listJobRuns("metadata-sync", 50)).length, syncRuns, "no sync after a 429");
    the().advance(31 * S);
  });

  test("a revoked link: 409 pointing at /spotify/authorize", async () => {
    the().advance(S);
    await the().deps.store.markSpotifyNeedsReauth("Refresh token revoked");
    fake.expireAccessTokens();
    const res = await post("/spotify/poll/recently-played");
    assert.equal(res.status, 409);
    const body = (await res.json()) as ErrorBody;
    assert.equal(body.error, "spotify_revoked");
    assert.match(body.message, /\/spotify\/authorize/);
  });
});
