import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { recordListen } from "#shared/capture/record.ts";
import type { Play } from "#shared/domain/entities.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import { createStatsReader } from "#shared/stats/reader.ts";
import { DAY_MS } from "#shared/stats/zones.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import { importStoreOf } from "#shared/store/import-batch.ts";
import type { Store, TrackInfo } from "#shared/store/port.ts";
import { createDynamoStore } from "#shared/store/repository.ts";
import { artistGenres, type GeneratedPlay, generatePlays, playOf } from "#test/support/plays.ts";
import { dynamoEndpoint, uniqueTableName } from "#test/support/services.ts";
import { allTime, type Case, expectStatistics, named } from "#test/support/stats-brute-force.ts";

/**
 * Named ranges answer from a snapshot of the counters before today's UTC midnight plus the plays
 * since (shared/stats/snapshot.ts). Each change a hoard goes through — live plays after the
 * cutoff, a late backfilled listen, a deletion, import resolution moving counters between
 * artists (no TOTAL changes), an import of old plays, an artist's genres changing — is followed
 * by every statistic of every named range against the brute force over the plays, and by what the
 * read had to do: reuse the snapshot (appends) or build it again (everything else).
 */

const NOW = Date.parse("2026-06-10T15:20:00.000Z");
const TODAY = Math.floor(NOW / DAY_MS) * DAY_MS;
const generated = generatePlays({ count: 260, seed: 23, now: NOW, spanDays: 500 });
// Held back: today's plays (recorded after the snapshots are built), a listen of last week that
// the backfill stores late, and plays of a year ago that an import brings.
const isToday = (g: GeneratedPlay) => Date.parse(g.play.listened_at) >= TODAY;
const todays = generated.filter(isToday);
const older = generated.filter((g) => !isToday(g));
const late = older.filter((g) => Date.parse(g.play.listened_at) > NOW - 6 * DAY_MS).slice(0, 1);
const imported = older.filter((g) => g.play.listened_at.startsWith("2025-06")).slice(0, 6);
const held = new Set([...late, ...imported]);
const initial = older.filter((g) => !held.has(g));

let store: Store;
/** Another listener of the household: artists (and their genres) are shared with them. */
let member: Store;
const plays: Play[] = [];
const byTrack = new Map<string, TrackInfo>(generated.map((g) => [g.track.track_id, g.track]));
/** Buckets, DAY rows and packs read since the last reset: with valid snapshots, none. */
const bucketsRead: string[] = [];
let watched: Store;

const namedRanges = (): Case[] => [
  named("7d", NOW),
  named("4w", NOW),
  named("6m", NOW),
  named("1y", NOW),
  allTime(plays, NOW),
];

/** Every statistic of every named range equals the brute force; returns whether any read built. */
async function expectAll(tz: string): Promise<boolean> {
  bucketsRead.length = 0;
  const reader = createStatsReader(watched);
  for (const c of namedRanges()) {
    await expectStatistics(reader, { plays, byTrack, tz, c, now: NOW });
  }
  return bucketsRead.length > 0;
}

before(async () => {
  const client = createDocumentClient({ region: "us-east-1", endpoint: await dynamoEndpoint() });
  const tableName = uniqueTableName("snapshot");
  await ensureTable(client, tableName);
  store = createDynamoStore({ client, tableName, listener: OWNER_ID });
  member = createDynamoStore({ client, tableName, listener: "member0001" });
  watched = {
    ...store,
    queryAggregates: (bucket, dimension, opts) => {
      bucketsRead.push(bucket);
      return store.queryAggregates(bucket, dimension, opts);
    },
    // Clock, timeline and streak read quarter-hour counters from DAY rows and month packs.
    queryDays: (year, from, to, opts) => {
      bucketsRead.push(`DAY ${from}…${to}`);
      return store.queryDays(year, from, to, opts);
    },
    queryDayPacks: (year) => {
      bucketsRead.push(`PACK ${year}`);
      return store.queryDayPacks(year);
    },
  };
  for (const g of initial) await recordListen(store, g.play, g.track);
  plays.push(...initial.map((g) => g.play));
  for (let i = 0; i < 12; i++) {
    const genres = artistGenres(`ar${i}`);
    if (genres !== null) await saveGenres(`ar${i}`, genres);
  }
  assert.ok(todays.length >= 3, "the history has plays after the cutoff");
  assert.equal(late.length, 1);
  assert.ok(imported.length >= 3);
});

async function saveGenres(id: string, genres: string[], by: Store = store) {
  await by.saveArtistMetadata({
    artist_id: id,
    name: `Artist ${id.slice(2)}`,
    genres,
    popularity: 1,
    image_url: `https://img/${id}`,
    synced_at: "2026-01-01T00:00:00.000Z",
  });
}

describe("statistics snapshots stay exact through every change to the hoard", () => {
  test("first reads build the snapshots; reads after them reuse them", async () => {
    assert.equal(await expectAll("UTC"), true);
    assert.equal(await expectAll("UTC"), false);
  });

  test("live plays after the cutoff are the delta: exact, and no snapshot is rebuilt", async () => {
    for (const g of todays) await recordListen(store, g.play, g.track);
    plays.push(...todays.map((g) => g.play));
    assert.equal(await expectAll("UTC"), false);
  });

  test("a listen of last week stored late (backfill) changes the older plays: rebuilt, exact", async () => {
    for (const g of late)
      await recordListen(store, { ...g.play, estimated: true, source: "backfill" }, g.track);
    plays.push(...late.map((g) => ({ ...g.play, estimated: true, source: "backfill" as const })));
    assert.equal(await expectAll("UTC"), true);
  });

  test("a deleted play: rebuilt, exact", async () => {
    const victim = plays.find((p) => p.counted && p.listened_at < "2026-05-20");
    assert.ok(victim);
    assert.ok(await store.deletePlay(victim.listened_at, victim.track_id));
    plays.splice(plays.indexOf(victim), 1);
    assert.equal(await expectAll("UTC"), true);
  });

  test("resolution moving a track's plays to another artist (no TOTAL changes): rebuilt, exact", async () => {
    const track = [...byTrack.values()].find(
      (t) => t.kind === "track" && plays.filter((p) => p.track_id === t.track_id && p.counted).length >= 3,
    );
    assert.ok(track);
    const moved: TrackInfo = { ...track, artists: [{ id: "ar11", name: "Artist 11" }] };
    const mine = plays.filter((p) => p.track_id === track.track_id);
    const rewrite = (p: Play): Play => ({ ...p, artists: moved.artists });
    const n = await importStoreOf(store).rewritePlays(moved, mine, rewrite, moved.album);
    assert.equal(n, mine.length);
    for (const p of mine) plays[plays.indexOf(p)] = rewrite(p);
    byTrack.set(track.track_id, moved);
    assert.equal(await expectAll("UTC"), true);
  });

  test("an import of plays a year old: rebuilt, exact, in another zone too", async () => {
    const batch = importStoreOf(store);
    const entries = imported.map((g) => ({ play: { ...g.play, source: "import" as const }, track: g.track }));
    const out = await batch.recordPlayBatch("snapshot-test", entries);
    assert.equal(out.recorded.length, entries.length);
    plays.push(...entries.map((e) => e.play));
    assert.equal(await expectAll("UTC"), true);
    await expectAll("Asia/Kathmandu");
  });

  test("an artist's genres change, even through another listener's sync: rebuilt, the genre totals follow", async () => {
    const reader = createStatsReader(watched);
    const spec = { tz: "UTC", range: "all" as const };
    await reader.topGenres(spec, "plays", 50, NOW);
    bucketsRead.length = 0;
    // The member's hourly sync sees the new genres; the artist is the owner's too.
    await saveGenres("ar5", ["techno"], member);
    const genres = await reader.topGenres(spec, "plays", 50, NOW);
    assert.ok(bucketsRead.length > 0, "rebuilt");
    const techno = genres.items.find((g) => g.genre === "techno");
    const ar5 = plays.filter((p) => p.counted && p.artists.some((a) => a.id === "ar5")).length;
    assert.ok(ar5 > 0);
    assert.deepEqual([techno?.plays, techno?.artists], [ar5, 1]);
    await saveGenres("ar5", artistGenres("ar5") ?? []);
    assert.equal(await expectAll("UTC"), true);
  });

  test("a snapshot of yesterday still answers today, with yesterday's plays as delta", async () => {
    const tomorrow = NOW + DAY_MS;
    const nextPlays = todays.slice(0, 2).map((g) => ({
      play: playOf(g.track, tomorrow - 60_000 * (1 + todays.indexOf(g)), 40_000, true),
      track: g.track,
    }));
    const reader = createStatsReader(watched);
    const spec = { tz: "UTC", range: "all" as const };
    await reader.summary(spec, NOW);
    for (const g of nextPlays) await recordListen(store, g.play, g.track);
    bucketsRead.length = 0;
    const s = await reader.summary(spec, tomorrow);
    assert.equal(bucketsRead.length, 0, "yesterday's snapshot reused");
    const counted = [...plays, ...nextPlays.map((g) => g.play)].filter((p) => p.counted);
    assert.deepEqual(
      [s.plays, s.distinct_tracks],
      [counted.length, new Set(counted.map((p) => p.track_id)).size],
    );
  });

  test("the hourly refresh builds the day's snapshots for the zones asked; reads then build none", async () => {
    const later = NOW + 2 * DAY_MS;
    const reader = createStatsReader(watched);
    const refreshed = await reader.refreshSnapshots(later);
    assert.equal(refreshed.zones, 2, "UTC and Kathmandu were asked");
    assert.ok(refreshed.built >= 5);
    assert.deepEqual(await reader.refreshSnapshots(later), { zones: 2, built: 0 }, "nothing left to build");
    bucketsRead.length = 0;
    for (const tz of ["UTC", "Asia/Kathmandu"]) {
      for (const range of ["7d", "4w", "6m", "1y", "all"] as const) {
        await reader.overview({ tz, range }, 10, later);
        await reader.top("albums", { tz, range }, "time", 10, later);
      }
    }
    assert.deepEqual(bucketsRead, []);
  });
});
