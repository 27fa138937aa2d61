import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { recordListen } from "#shared/capture/record.ts";
import {
  artistStatsResponseSchema,
  trackStatsResponseSchema,
  yearResponseSchema,
} from "#shared/http/recap-schemas.ts";
import type { TrackInfo } from "#shared/store/port.ts";
import { bearer, startTestApp, type TestApp } from "#test/support/app.ts";
import { playOf } from "#test/support/plays.ts";

/**
 * The dashboard's statistics routes over HTTP, on a small hoard: GET /stats/tracks/{track_id},
 * /stats/artists/{artist_id} and /stats/year (their brute-force checks are adapter tests).
 */

type ErrorBody = { error: string; message: string; fields?: { field: string }[] };

const song: TrackInfo = {
  track_id: "s1",
  kind: "track",
  name: "Song One",
  uri: "spotify:track:s1",
  artists: [
    { id: "ar1", name: "Band" },
    { id: "ar2", name: "Guest" },
  ],
  album: { id: "al1", name: "Record", image_url: "https://img/al1" },
  duration_ms: 200_000,
};
const other: TrackInfo = {
  ...song,
  track_id: "spotify:local:Band:Demo:Tape:100",
  kind: "local",
  name: "Tape",
  uri: "spotify:local:Band:Demo:Tape:100",
  artists: [{ id: "ar1", name: "Band" }],
  album: null,
};

// The test app's clock says 2026-11-21T12:00:00Z.
const LISTENS: [TrackInfo, string, number, boolean][] = [
  [song, "2026-08-31T20:00:00.000Z", 150_000, true], // 1 Sep 01:30 in Kolkata
  [song, "2026-09-10T10:00:00.000Z", 100_000, true],
  [song, "2026-09-11T10:00:00.000Z", 5_000, false],
  [song, "2026-11-20T10:00:00.000Z", 120_000, true],
  [other, "2026-10-01T10:00:00.000Z", 60_000, true],
  [other, "2026-10-02T10:00:00.000Z", 2_000, false],
];

let app: TestApp;
let token: string;
before(async () => {
  app = await startTestApp();
  token = await bearer(app);
  for (const [track, at, ms, counted] of LISTENS)
    await recordListen(app.deps.store, playOf(track, Date.parse(at), ms, counted), track);
});
after(() => app.close());

const get = (path: string, auth = true) =>
  fetch(`${app.url}${path}`, auth ? { headers: { authorization: `Bearer ${token}` } } : {});

describe("track and artist pages", () => {
  test("a track: metadata, counters, first and last listen, months from the first to the last", async () => {
    const res = await get("/stats/tracks/s1");
    assert.equal(res.status, 200);
    const t = trackStatsResponseSchema.parse(await res.json());
    assert.deepEqual(t.track, {
      track_id: "s1",
      kind: "track",
      name: "Song One",
      artists: song.artists,
      album: song.album,
      image_url: "https://img/al1",
      duration_ms: 200_000,
    });
    assert.deepEqual(
      [t.plays, t.skips, t.skip_rate, t.listened_ms, t.first_listened_at, t.last_listened_at],
      [3, 1, 0.25, 370_000, "2026-08-31T20:00:00.000Z", "2026-11-20T10:00:00.000Z"],
    );
    assert.deepEqual(t.series, [
      { bucket: "2026-08-01", plays: 1, listened_ms: 150_000 },
      { bucket: "2026-09-01", plays: 1, listened_ms: 100_000 },
      { bucket: "2026-10-01", plays: 0, listened_ms: 0 },
      { bucket: "2026-11-01", plays: 1, listened_ms: 120_000 },
    ]);
    // In Kolkata the first listen falls on 1 September.
    const kolkata = trackStatsResponseSchema.parse(
      await (await get("/stats/tracks/s1?tz=Asia/Kolkata")).json(),
    );
    assert.deepEqual(
      kolkata.series.map((p) => [p.bucket, p.plays]),
      [
        ["2026-09-01", 2],
        ["2026-10-01", 0],
        ["2026-11-01", 1],
      ],
    );
    const weeks = trackStatsResponseSchema.parse(await (await get("/stats/tracks/s1?bucket=week")).json());
    assert.equal(weeks.series[0]?.bucket, "2026-08-31"); // a Monday
    assert.equal(weeks.series.length, 12);
    assert.equal(
      weeks.series.reduce((n, p) => n + p.plays, 0),
      3,
    );
  });

  test("a local file's URI is a track id too (sent percent-encoded)", async () => {
    const res = await get(`/stats/tracks/${encodeURIComponent(other.track_id)}`);
    assert.equal(res.status, 200);
    const t = trackStatsResponseSchema.parse(await res.json());
    assert.deepEqual([t.track.kind, t.plays, t.skips, t.track.image_url], ["local", 1, 1, null]);
  });

  test("an artist: every track crediting them, their skips, and their most played tracks", async () => {
    const res = await get("/stats/artists/ar1?bucket=month");
    assert.equal(res.status, 200);
    const a = artistStatsResponseSchema.parse(await res.json());
    assert.deepEqual(a.artist, { artist_id: "ar1", name: "Band", image_url: null, genres: null });
    assert.deepEqual(
      [a.plays, a.skips, a.skip_rate, a.listened_ms, a.first_listened_at, a.last_listened_at],
      [4, 2, 2 / 6, 430_000, "2026-08-31T20:00:00.000Z", "2026-11-20T10:00:00.000Z"],
    );
    assert.deepEqual(
      a.series.map((p) => p.plays),
      [1, 1, 1, 1],
    );
    assert.deepEqual(
      a.top_tracks.map((t) => [t.track_id, t.plays]),
      [
        ["s1", 3],
        [other.track_id, 1],
      ],
    );
    const guest = artistStatsResponseSchema.parse(await (await get("/stats/artists/ar2")).json());
    assert.deepEqual([guest.artist.name, guest.plays, guest.skips], ["Guest", 3, 1]);
  });

  test("never played: a JSON 404 naming what was asked", async () => {
    for (const path of ["/stats/tracks/nope", "/stats/artists/nobody"]) {
      const res = await get(path);
      assert.equal(res.status, 404, path);
      const body = (await res.json()) as ErrorBody;
      assert.equal(body.error, "not_found");
      assert.match(body.message, /never listened/);
    }
  });

  test("a play stored before imports checked bounds (year 1) does not stretch a series over centuries", async () => {
    const poisoned: TrackInfo = { ...song, track_id: "poisoned", artists: [{ id: "ar9", name: "Old" }] };
    await app.deps.store.recordPlay(
      {
        ...playOf(poisoned, Date.parse("2026-01-05T00:00:00.000Z"), 60_000, true),
        listened_at: "0001-01-01T00:00:00.000Z",
      },
      poisoned,
    );
    await recordListen(
      app.deps.store,
      playOf(poisoned, Date.parse("2026-11-02T00:00:00.000Z"), 60_000, true),
      poisoned,
    );
    for (const path of ["/stats/tracks/poisoned?bucket=week", "/stats/artists/ar9?bucket=month"]) {
      const res = await get(path);
      assert.equal(res.status, 200, path);
      const body = (await res.json()) as { series: { bucket: string }[]; first_listened_at: string };
      assert.equal(body.first_listened_at, "0001-01-01T00:00:00.000Z", "told as stored");
      assert.ok(body.series.length <= 19 * 53 && body.series[0]?.bucket.startsWith("200"), path);
    }
  });

  test("bad bucket and tz are 400s naming the field; no token is a 401", async () => {
    const res = await get("/stats/tracks/s1?bucket=day&tz=Mars/Olympus");
    assert.equal(res.status, 400);
    assert.deepEqual(((await res.json()) as ErrorBody).fields?.map((f) => f.field).sort(), [
      "query.bucket",
      "query.tz",
    ]);
    assert.equal((await get("/stats/artists/ar1", false)).status, 401);
  });
});

describe("year in review", () => {
  test("this year so far by default, in the caller's zone", async () => {
    const res = await get("/stats/year?tz=Asia/Kolkata");
    assert.equal(res.status, 200);
    const y = yearResponseSchema.parse(await res.json());
    assert.deepEqual([y.year, y.so_far], [2026, true]);
    assert.equal(y.range.from, "2025-12-31T18:30:00.000Z", "Kolkata's New Year");
    // Counted plays: song ×3, the tape once (the poisoned year-1 play is not 2026's).
    assert.deepEqual([y.plays, y.skips], [5, 2]);
    assert.deepEqual(
      y.months.filter((m) => m.plays > 0).map((m) => [m.month, m.plays]),
      [
        ["2026-09", 2],
        ["2026-10", 1],
        ["2026-11", 2],
      ],
    );
    assert.deepEqual(y.top_month?.month, "2026-09");
    assert.equal((y.top.tracks[0] as { track_id: string }).track_id, "s1");
    assert.equal(y.most_repeated_day?.plays, 1);
    assert.deepEqual(y.new_artists.items.map((i) => i.artist.artist_id).sort(), ["ar1", "ar2", "ar9"]);
  });

  test("a past year is whole; bad year and tz are 400s naming the field", async () => {
    const past = yearResponseSchema.parse(await (await get("/stats/year?year=2025")).json());
    assert.deepEqual(
      [past.year, past.so_far, past.plays, past.range.to],
      [2025, false, 0, "2026-01-01T00:00:00.000Z"],
    );
    for (const [q, fields] of [
      ["year=abc", ["query.year"]],
      ["year=2007", ["query.year"]],
      ["year=2025.5&tz=Nowhere", ["query.tz", "query.year"]],
    ] as const) {
      const res = await get(`/stats/year?${q}`);
      assert.equal(res.status, 400, q);
      assert.deepEqual(((await res.json()) as ErrorBody).fields?.map((f) => f.field).sort(), fields, q);
    }
    assert.equal((await get("/stats/year", false)).status, 401);
  });
});
