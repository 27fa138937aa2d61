import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { cacheKeys } from "#shared/cache/keys.ts";
import { recordListen } from "#shared/capture/record.ts";
import type { Play } from "#shared/domain/entities.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import {
  dashboardResponseSchema,
  rebuildResultSchema,
  statsClockResponseSchema,
  statsSummaryResponseSchema,
  statsTimelineResponseSchema,
  systemStatsResponseSchema,
  topAlbumsResponseSchema,
  topArtistsResponseSchema,
  topGenresResponseSchema,
  topTracksResponseSchema,
} from "#shared/http/schemas.ts";
import type { TrackInfo } from "#shared/store/port.ts";
import { bearer, startTestApp, type TestApp } from "#test/support/app.ts";

type ErrorBody = { error: string; message: string; fields?: { field: string; message: string }[] };

const song: TrackInfo = {
  track_id: "s1",
  kind: "track",
  name: "Song One",
  uri: "spotify:track:s1",
  artists: [{ id: "ar1", name: "Band" }],
  album: { id: "al1", name: "Record", image_url: "https://img/al1" },
  duration_ms: 200_000,
};

function play(listenedAt: string, counted = true): Play {
  return {
    track_id: song.track_id,
    kind: "track",
    name: song.name,
    artists: song.artists,
    album_id: "al1",
    listened_at: listenedAt,
    ended_at: listenedAt,
    listened_ms: counted ? 150_000 : 4_000,
    duration_ms: 200_000,
    counted,
    estimated: false,
    source: "poll",
    device_name: null,
    device_type: null,
    context_type: null,
    context_uri: null,
    shuffle_state: null,
  };
}

// The test app's clock says 2026-11-21T12:00:00Z.
const PLAYS = [
  play("2026-11-19T18:00:00.000Z"), // 19 Nov 23:30 in Kolkata
  play("2026-11-19T18:45:00.000Z"), // 20 Nov 00:15 in Kolkata
  play("2026-11-20T10:00:00.000Z"),
  play("2026-11-21T09:00:00.000Z", false),
  play("2026-11-21T11:59:00.000Z"),
];

describe("statistics routes (bearer)", () => {
  let app: TestApp;
  let token: string;
  before(async () => {
    app = await startTestApp();
    token = await bearer(app);
    for (const p of PLAYS) await recordListen(app.deps.store, p, song);
  });
  after(() => app.close());

  const get = (path: string, auth = true) =>
    fetch(`${app.url}${path}`, auth ? { headers: { authorization: `Bearer ${token}` } } : {});

  test("need a token unless PUBLIC_STATS is on", async () => {
    for (const path of [
      "/stats/top-tracks",
      "/stats/summary",
      "/stats/clock",
      "/stats/timeline",
      "/dashboard",
    ]) {
      assert.equal((await get(path, false)).status, 401, path);
    }
  });

  test("each statistics route answers its documented shape", async () => {
    const cases = [
      ["/stats/top-tracks?range=7d", topTracksResponseSchema],
      ["/stats/top-artists?range=7d", topArtistsResponseSchema],
      ["/stats/top-albums?range=all&by=time", topAlbumsResponseSchema],
      ["/stats/top-genres", topGenresResponseSchema],
      ["/stats/summary", statsSummaryResponseSchema],
      ["/stats/clock?tz=Asia/Kolkata", statsClockResponseSchema],
      ["/stats/timeline?bucket=week&range=4w", statsTimelineResponseSchema],
    ] as const;
    for (const [path, schema] of cases) {
      const res = await get(path);
      assert.equal(res.status, 200, path);
      const parsed = schema.safeParse(await res.json());
      assert.ok(parsed.success, `${path}: ${parsed.error?.message}`);
    }
  });

  test("local dates in tz: from/to name whole days of the caller's calendar, to included", async () => {
    const count = async (q: string) =>
      ((await (await get(`/stats/summary?${q}`)).json()) as { plays: number; skips: number }).plays;
    assert.equal(await count("from=2026-11-20&to=2026-11-20&tz=Asia/Kolkata"), 2);
    assert.equal(await count("from=2026-11-20&to=2026-11-20&tz=UTC"), 1);
    assert.equal(await count("from=2026-11-19&to=2026-11-21"), 4);
    assert.equal(await count("from=2026-11-19T18:30:00%2B00:00&to=2026-11-20T10:00:00Z"), 1);
    const top = (await (await get("/stats/top-tracks?range=7d")).json()) as {
      range: { range: string; tz: string };
      items: { track_id: string; plays: number; name: string; image_url: string }[];
    };
    assert.deepEqual(top.items, [
      {
        rank: 1,
        track_id: "s1",
        name: "Song One",
        artists: ["Band"],
        image_url: "https://img/al1",
        plays: 4,
        listened_ms: 600_000,
      },
    ]);
    assert.deepEqual([top.range.range, top.range.tz], ["7d", "UTC"]);
  });

  test("bad tz, range, bounds, by, limit and bucket are 400s naming the field", async () => {
    const cases: [string, string[]][] = [
      ["/stats/top-tracks?tz=Mars/Olympus", ["query.tz"]],
      ["/stats/top-tracks?tz=%2B05:30", ["query.tz"]],
      ["/stats/top-tracks?range=3d", ["query.range"]],
      ["/stats/summary?from=2026-11-20&to=2026-11-19", ["query.to"]],
      ["/stats/summary?from=2026-11-20T10:00:00Z&to=2026-11-20T10:00:00Z", ["query.to"]],
      ["/stats/clock?from=2026-02-30", ["query.from"]],
      ["/stats/clock?to=yesterday", ["query.to"]],
      ["/stats/top-albums?range=7d&from=2026-11-01", ["query.range"]],
      ["/stats/top-artists?by=skips&limit=101", ["query.by", "query.limit"]],
      ["/stats/timeline?bucket=year", ["query.bucket"]],
      ["/dashboard?tz=Nowhere", ["query.tz"]],
    ];
    for (const [path, fields] of cases) {
      const res = await get(path);
      assert.equal(res.status, 400, path);
      const body = (await res.json()) as ErrorBody;
      assert.equal(body.error, "bad_request", path);
      assert.deepEqual(body.fields?.map((f) => f.field).sort(), fields, path);
    }
    const tz = (await (await get("/stats/clock?tz=Mars/Olympus")).json()) as ErrorBody;
    assert.match(tz.fields?.[0]?.message ?? "", /IANA time zone/);
  });

  test("the dashboard brings profile, now playing, summary, tops, clock and recent plays in one call", async () => {
    await app.deps.store.saveSpotifyLink({
      refresh_token: "r",
      scope: "s",
      linked_at: "2026-11-01T00:00:00.000Z",
      user_id: "me",
      display_name: "Me",
      needs_reauth: false,
      reauth_reason: null,
    });
    await app.deps.cache.set(cacheKeys.snapshot(OWNER_ID), {
      item: { ...song, key: "s1" },
      is_playing: true,
      progress_ms: 42_000,
      observed_at: "2026-11-21T11:59:30.000Z",
      device: null,
      context: null,
    });
    const res = await get("/dashboard?range=7d&tz=Asia/Kolkata&limit=3");
    assert.equal(res.status, 200);
    const parsed = dashboardResponseSchema.safeParse(await res.json());
    assert.ok(parsed.success, parsed.error?.message);
    const d = parsed.data;
    assert.deepEqual(d.profile, { user_id: "me", display_name: "Me", linked_at: "2026-11-01T00:00:00.000Z" });
    assert.equal(d.now_playing?.title, "Song One");
    assert.equal(d.now_playing?.progress_ms, 42_000);
    assert.deepEqual([d.summary.plays, d.summary.skips, d.summary.distinct_artists], [4, 1, 1]);
    assert.deepEqual(d.summary.longest_streak, { days: 3, from: "2026-11-19", to: "2026-11-21" });
    assert.equal(d.top_artists[0]?.name, "Band");
    assert.deepEqual(d.top_genres, [
      { rank: 1, genre: "(no genre)", plays: 4, listened_ms: 600_000, artists: 1 },
    ]);
    assert.equal(
      d.clock.plays.flat().reduce((a, b) => a + b, 0),
      4,
    );
    assert.deepEqual(
      d.recent_plays.map((p) => p.listened_at),
      PLAYS.slice(-3)
        .map((p) => p.listened_at)
        .reverse(),
    );
  });

  test("system stats: maintained counts, cache keys, loop lease, job runs; rebuild is recorded", async () => {
    await app.deps.cache.set(cacheKeys.lease(OWNER_ID), "loop-1", { ttlMs: 60_000 });
    const res = await get("/admin/system-stats");
    assert.equal(res.status, 200);
    const parsed = systemStatsResponseSchema.safeParse(await res.json());
    assert.ok(parsed.success, parsed.error?.message);
    const s = parsed.data;
    assert.deepEqual(s.counts, { plays: 5, counted_plays: 4, tracks: 1, artists: 1, albums: 1 });
    assert.equal(s.cache.keys, await app.deps.cache.size());
    assert.deepEqual([s.loop.alive, s.loop.lease_holder], [true, "loop-1"]);
    assert.equal(typeof s.table.item_count, "number");
    assert.equal(s.jobs["rebuild-aggregates"]?.last, null);

    const rebuilt = await fetch(`${app.url}/admin/rebuild-aggregates`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(rebuilt.status, 200);
    const r = rebuildResultSchema.parse(await rebuilt.json());
    assert.deepEqual([r.plays, r.counted_plays, r.aggregates_deleted, r.artists], [5, 4, 0, 1]);
    const after = systemStatsResponseSchema.parse(await (await get("/admin/system-stats")).json());
    assert.equal(after.jobs["rebuild-aggregates"]?.last?.ok, true);
    assert.equal(after.counts.plays, 5);
    assert.equal((await fetch(`${app.url}/admin/system-stats`)).status, 401);
  });
});

describe("PUBLIC_STATS=true", () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ PUBLIC_STATS: "true" });
    await recordListen(app.deps.store, play("2026-11-21T08:00:00.000Z"), song);
  });
  after(() => app.close());

  test("statistics answer without a token; dashboard, admin and history still need one", async () => {
    for (const path of [
      "/stats/top-tracks",
      "/stats/top-artists",
      "/stats/top-albums",
      "/stats/top-genres",
      "/stats/summary",
      "/stats/clock",
      "/stats/timeline",
    ]) {
      assert.equal((await fetch(`${app.url}${path}`)).status, 200, path);
    }
    const summary = (await (await fetch(`${app.url}/stats/summary`)).json()) as { plays: number };
    assert.equal(summary.plays, 1);
    for (const path of ["/dashboard", "/admin/system-stats", "/plays"]) {
      assert.equal((await fetch(`${app.url}${path}`)).status, 401, path);
    }
    // Validation still applies to public requests.
    assert.equal((await fetch(`${app.url}/stats/clock?tz=Nowhere`)).status, 400);
  });
});
