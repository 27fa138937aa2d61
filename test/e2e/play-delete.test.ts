import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { recordListen } from "#shared/capture/record.ts";
import type { Play } from "#shared/domain/entities.ts";
import { packClosedMonths } from "#shared/stats/packs.ts";
import { createStatsReader } from "#shared/stats/reader.ts";
import type { TrackInfo } from "#shared/store/port.ts";
import { bearer, startTestApp, type TestApp } from "#test/support/app.ts";
import { artistGenres, type GeneratedPlay, generatePlays } from "#test/support/plays.ts";
import { allTime, expectStatistics, instants, named } from "#test/support/stats-brute-force.ts";

/**
 * Repair: DELETE /plays/{id} and DELETE /plays?from=&to= take back exactly what each play
 * moved. After deleting plays (skips, counted plays, one credited to more artists than one
 * transaction holds, a whole range), every statistic equals a brute force over the plays that
 * remain, with the month packs of the affected months read as they are left (not repacked).
 */

type ErrorBody = { error: string; message: string; fields?: { field: string; message: string }[] };

const NOW = Date.parse("2026-11-21T12:00:00.000Z"); // the test app's clock
const base = generatePlays({ count: 160, seed: 23, now: NOW, spanDays: 420 });
// 25 credited artists: beyond what one transaction holds with the rest (shared/store/repository.ts).
const crowd: TrackInfo = {
  track_id: "crowd",
  kind: "track",
  name: "We Are the World",
  uri: "spotify:track:crowd",
  artists: Array.from({ length: 25 }, (_, i) => ({ id: `ar${12 + i}`, name: `Singer ${i}` })),
  album: { id: "al-crowd", name: "Crowd", image_url: null },
  duration_ms: 400_000,
};
const crowdPlays: GeneratedPlay[] = ["2026-03-03T03:03:00.000Z", "2026-06-06T06:06:00.000Z"].map((at) => ({
  track: crowd,
  play: {
    ...(base[0] as GeneratedPlay).play,
    track_id: crowd.track_id,
    name: crowd.name,
    artists: crowd.artists,
    album_id: "al-crowd",
    listened_at: at,
    ended_at: at,
    listened_ms: 300_000,
    duration_ms: 400_000,
    counted: true,
  },
}));
const generated = [...base, ...crowdPlays];
const byTrack = new Map(generated.map((g) => [g.track.track_id, g.track]));
const idOf = (p: Play) => encodeURIComponent(`${p.listened_at}#${p.track_id}`);

let app: TestApp;
let token: string;
const del = (path: string) =>
  fetch(`${app.url}${path}`, { method: "DELETE", headers: { authorization: `Bearer ${token}` } });

before(async () => {
  app = await startTestApp();
  token = await bearer(app);
  const store = app.deps.store;
  for (const g of generated) await recordListen(store, g.play, g.track);
  const artistIds = new Set(generated.flatMap((g) => g.play.artists.flatMap((a) => (a.id ? [a.id] : []))));
  for (const id of artistIds) {
    const genres = artistGenres(id);
    if (genres === null) continue;
    await store.saveArtistMetadata({
      artist_id: id,
      name: id,
      genres,
      popularity: 1,
      image_url: null,
      synced_at: null,
    });
  }
  // Closed months packed, as after the hourly job: deletes must not leave a pack claiming them.
  assert.ok((await packClosedMonths(store, NOW)).packed > 6);
});
after(() => app.close());

describe("deleting plays", () => {
  const remaining = new Map(generated.map((g) => [`${g.play.listened_at}#${g.play.track_id}`, g.play]));
  const forget = (p: Play) => remaining.delete(`${p.listened_at}#${p.track_id}`);

  test("DELETE /plays/{id}: the play and its counters go; a second delete is a 404 and takes nothing", async () => {
    const skip = base.find((g) => !g.play.counted)?.play;
    const counted = base.filter((g) => g.play.counted).map((g) => g.play);
    const victims = [skip, ...counted.slice(0, 6), ...crowdPlays.map((g) => g.play)].filter(
      (p): p is Play => p !== undefined,
    );
    for (const p of victims) {
      const res = await del(`/plays/${idOf(p)}`);
      assert.equal(res.status, 200, await res.clone().text());
      assert.deepEqual((await res.json()) as unknown, { deleted: true, play: p });
      forget(p);
      const again = await del(`/plays/${idOf(p)}`);
      assert.equal(again.status, 404);
      assert.equal(((await again.json()) as ErrorBody).error, "not_found");
    }
  });

  test("DELETE /plays?from=&to=: bounded per call, repeated until `more` is false", async () => {
    const from = "2026-02-25T00:00:00.000Z";
    const to = "2026-03-05T00:00:00.000Z";
    const inRange = [...remaining.values()].filter((p) => p.listened_at >= from && p.listened_at < to);
    assert.ok(inRange.length > 3, `the range holds plays (${inRange.length})`);
    let deleted = 0;
    for (let calls = 0; calls < 20; calls++) {
      const res = await del(`/plays?from=${from}&to=${to}&limit=3`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as { deleted: number; more: boolean };
      assert.ok(body.deleted <= 3);
      deleted += body.deleted;
      if (!body.more) break;
    }
    assert.equal(deleted, inRange.length);
    for (const p of inRange) forget(p);
    const again = (await (await del(`/plays?from=${from}&to=${to}`)).json()) as { deleted: number };
    assert.equal(again.deleted, 0);
  });

  test("a range delete needs both bounds, in order", async () => {
    for (const q of [
      "",
      "?from=2026-01-01T00:00:00Z",
      "?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z",
    ]) {
      const res = await del(`/plays${q}`);
      assert.equal(res.status, 400, q);
      assert.ok(
        ((await res.json()) as ErrorBody).fields?.some((f) => /^query\.(from|to)$/.test(f.field)),
        q,
      );
    }
    const res = await fetch(`${app.url}/plays?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z`, {
      method: "DELETE",
    });
    assert.equal(res.status, 401, "owner only");
  });

  test("counts, track counters and GET /plays describe exactly the remaining plays", async () => {
    const left = [...remaining.values()];
    const counts = await app.deps.store.getCounts();
    assert.deepEqual(
      { plays: counts.plays, counted: counts.counted_plays },
      { plays: left.length, counted: left.filter((p) => p.counted).length },
    );
    for (const id of ["crowd", ...new Set(base.slice(0, 8).map((g) => g.play.track_id))]) {
      const mine = left.filter((p) => p.track_id === id);
      const track = await app.deps.store.getTrack(id);
      assert.deepEqual(
        [track?.listen_count, track?.skip_count, track?.listened_ms_total],
        [
          mine.filter((p) => p.counted).length,
          mine.filter((p) => !p.counted).length,
          mine.filter((p) => p.counted).reduce((n, p) => n + p.listened_ms, 0),
        ],
        id,
      );
    }
    const listed = await fetch(`${app.url}/plays?limit=500`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(((await listed.json()) as { items: Play[] }).items.length, left.length);
  });

  const cases = () => [
    allTime([...remaining.values()], NOW),
    named("4w", NOW),
    named("1y", NOW),
    instants("2026-02-20T07:13:00.000Z", "2026-06-10T00:00:00.000Z"),
  ];
  for (const tz of ["UTC", "Asia/Kolkata"]) {
    test(`every statistic in ${tz} equals a brute force over the remaining plays`, async () => {
      const reader = createStatsReader(app.deps.store);
      for (const c of cases()) {
        await expectStatistics(reader, { plays: [...remaining.values()], byTrack, tz, c, now: NOW });
      }
    });
  }

  test("and still after the months are packed again", async () => {
    await packClosedMonths(app.deps.store, NOW);
    const reader = createStatsReader(app.deps.store);
    const plays = [...remaining.values()];
    await expectStatistics(reader, {
      plays,
      byTrack,
      tz: "America/New_York",
      c: allTime(plays, NOW),
      now: NOW,
    });
  });
});
