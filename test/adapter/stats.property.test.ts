import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { recordListen } from "#shared/capture/record.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import { packClosedMonths } from "#shared/stats/packs.ts";
import type { RangeSpec } from "#shared/stats/plan.ts";
import { createStatsReader, type StatsReader } from "#shared/stats/reader.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import { migrateToHousehold } from "#shared/store/migrate.ts";
import type { Store } from "#shared/store/port.ts";
import { createDynamoStore } from "#shared/store/repository.ts";
import { toLegacyLayout } from "#test/support/legacy.ts";
import { artistGenres, type GeneratedPlay, generatePlays } from "#test/support/plays.ts";
import { dynamoEndpoint, uniqueTableName } from "#test/support/services.ts";
import {
  allTime,
  at,
  type Case,
  dates,
  expectStatistics,
  instants,
  local,
  named,
} from "#test/support/stats-brute-force.ts";

/**
 * Every statistic, read from the aggregates the play transactions maintain, against a brute
 * force over the plays themselves (local dates from Intl, not from shared/stats/zones.ts), in
 * UTC, a :30 zone, a :45 zone, a DST zone and a :30 DST zone, over named and explicit ranges.
 * The hoard is recorded as the single-listener version left it and upgraded (the owner's now,
 * shared/store/migrate.ts); then a member records other plays into the same table, which the
 * owner's statistics must not see.
 */

const NOW = Date.parse("2026-03-15T10:20:00.000Z");
// Plus plays between off-grid window edges (an instant the caller names, or now) and the
// quarter-hour grid: they are read from the plays, not from the quarter-hour counters.
const EDGE_PLAYS = [
  "2026-03-15T10:17:00.000Z",
  "2026-03-15T10:19:59.000Z",
  "2024-12-30T07:14:00.000Z",
  "2026-02-01T16:50:00.000Z",
  "2025-12-31T16:10:00.000Z",
  "2026-01-01T05:40:00.000Z",
  // 23:30 on 4 Oct in Adelaide, the hour before the local day that starts DST: naive
  // "UTC midnight − offset" day starts put it into 5 Oct.
  "2025-10-04T14:00:00.000Z",
  "2025-10-05T12:00:00.000Z",
  "2025-10-06T03:00:00.000Z",
];
const base = generatePlays({ count: 320, seed: 11, now: NOW, spanDays: 800 });
const generated: GeneratedPlay[] = [
  ...base,
  ...EDGE_PLAYS.map((iso, i) => {
    const g = base[i * 7] as GeneratedPlay;
    return { ...g, play: { ...g.play, listened_at: iso, counted: true, listened_ms: 31_000 + i } };
  }),
];
const plays = generated.map((g) => g.play);
const byTrack = new Map(generated.map((g) => [g.track.track_id, g.track]));
let reader: StatsReader;
let store: Store;

before(async () => {
  const client = createDocumentClient({ region: "us-east-1", endpoint: await dynamoEndpoint() });
  const tableName = uniqueTableName("stats");
  await ensureTable(client, tableName);
  store = createDynamoStore({ client, tableName, listener: OWNER_ID });
  const member = createDynamoStore({ client, tableName, listener: "member-1" });
  // In shuffled order, as backfill and imports deliver them.
  const shuffled = [...generated].sort((a, b) =>
    a.play.ended_at.slice(-7) < b.play.ended_at.slice(-7) ? -1 : 1,
  );
  for (const g of shuffled) await recordListen(store, g.play, g.track);
  // Closed months answer from their packs (shared/stats/packs.ts), as after the hourly job.
  assert.ok((await packClosedMonths(store, NOW)).packed > 12);
  const legacy = await toLegacyLayout(client, tableName);
  assert.equal((await store.getCounts()).plays, 0, "the legacy layout is not the owner's yet");
  const migrated = await migrateToHousehold({ client, tableName, pageSize: 100 });
  assert.deepEqual([migrated.moved, migrated.conflicts, migrated.already], [legacy, 0, false]);
  assert.equal((await migrateToHousehold({ client, tableName })).already, true);
  // Another listener's plays of the same tracks, in the same months.
  for (const g of generatePlays({ count: 120, seed: 29, now: NOW, spanDays: 800 }))
    await recordListen(member, g.play, g.track);
  for (let i = 0; i < 12; i++) {
    const genres = artistGenres(`ar${i}`);
    if (genres === null) continue; // never synced
    await store.saveArtistMetadata({
      artist_id: `ar${i}`,
      name: `Artist ${i}`,
      genres,
      popularity: 1,
      image_url: `https://img/ar${i}`,
      synced_at: "2026-01-01T00:00:00.000Z",
    });
  }
  reader = createStatsReader(store);
});

// ------------------------------------------------------------------ brute force

const CASES: Case[] = [
  named("7d", NOW),
  named("4w", NOW),
  named("6m", NOW),
  named("1y", NOW),
  allTime(plays, NOW),
  instants("2024-12-30T07:13:29.500Z", "2026-02-01T16:52:00.001Z"),
  instants("2025-12-31T16:07:00.000Z", "2026-01-01T05:41:00.000Z"), // shorter than a day, across a year
  dates("2025-03-01", "2025-11-05"),
  dates("2025-06-30", "2025-07-01"),
  dates("2025-10-05", "2025-10-06"),
  {
    name: "from 2025-10-04T12:00:00Z until now",
    spec: (tz) => ({ tz, from: Date.parse("2025-10-04T12:00:00Z") }),
    holds: (tz) => ({
      test: (p) => at(p) >= Date.parse("2025-10-04T12:00:00Z"),
      first: local(tz, Date.parse("2025-10-04T12:00:00Z")).date,
      last: local(tz, NOW).date,
    }),
  },
];

const ZONES = ["UTC", "Asia/Kolkata", "Asia/Kathmandu", "America/New_York", "Australia/Adelaide"];

test("the generated history exercises the edges it is meant to", () => {
  const counted = plays.filter((p) => p.counted);
  assert.ok(counted.length > 200);
  const years = new Set(plays.map((p) => p.listened_at.slice(0, 4)));
  assert.deepEqual([...years].sort(), ["2024", "2025", "2026"]);
  // Plays on both sides of New York's spring-forward hour and of a Kolkata midnight.
  const near = (iso: string) => plays.filter((p) => Math.abs(at(p) - Date.parse(iso)) < 3_600_000).length;
  assert.ok(near("2025-03-09T07:00:00Z") >= 2);
  assert.ok(near("2025-12-31T18:30:00Z") >= 2);
  assert.ok(plays.some((p) => p.artists.filter((a) => a.id === p.artists[0]?.id).length > 1));
});

for (const tz of ZONES) {
  describe(`statistics in ${tz} equal a brute force over the plays`, () => {
    for (const c of CASES) {
      test(c.name, () => expectStatistics(reader, { plays, byTrack, tz, c, now: NOW }));
    }
  });
}

test("a range with no plays answers empty, not an error", async () => {
  const spec = {
    tz: "Europe/Paris",
    from: Date.parse("2019-01-01T00:00:00Z"),
    to: Date.parse("2019-02-01T00:00:00Z"),
  };
  assert.deepEqual((await reader.top("tracks", spec, "plays", 10, NOW)).items, []);
  const s = await reader.summary(spec, NOW);
  assert.deepEqual([s.plays, s.skip_rate, s.longest_streak, s.first_listen], [0, 0, null, null]);
  assert.equal(
    (await reader.timeline(spec, "week", NOW)).points.every((p) => p.plays === 0),
    true,
  );
});

test("named ranges answer from their snapshots; a hoard whose ALL bucket is missing reads the years", async () => {
  const buckets: string[] = [];
  const watched: Store = {
    ...store,
    queryAggregates: (bucket, dimension, opts) => {
      buckets.push(bucket);
      return store.queryAggregates(bucket, dimension, opts);
    },
  };
  const spy = createStatsReader(watched);
  const spec: RangeSpec = { tz: "Europe/Paris", range: "all" };
  // The first read may build the snapshot (from the closed buckets); the next reads none.
  await spy.top("tracks", spec, "time", 100, NOW);
  buckets.length = 0;
  const fromSnapshot = await spy.top("tracks", spec, "time", 100, NOW);
  assert.deepEqual(buckets, [], "a valid snapshot answers without reading a bucket");

  // A hoard recorded before ALL existed (or a rebuild half done): no snapshot, the buckets answer.
  const [total] = await store.batchGetAggregates([{ bucket: "ALL", dimension: "TOTAL", id: "all" }]);
  assert.ok(total);
  await store.deleteAggregateRecords([{ pk: "AGG#ALL", sk: "TOTAL#all" }]);
  try {
    buckets.length = 0;
    const fromYears = await spy.top("tracks", spec, "time", 100, NOW);
    // ALL is read speculatively, alongside the check, then the years answer.
    assert.deepEqual(buckets.sort(), ["ALL", "Y#2024", "Y#2025", "Y#2026"]);
    assert.deepEqual(fromYears.items, fromSnapshot.items);
  } finally {
    const { bucket: _b, dimension: _d, id: _i, ...fields } = total;
    await store.putAggregateRecords([{ pk: "AGG#ALL", sk: "TOTAL#all", ...fields }]);
  }
  // An ALL bucket lagging its years (a rebuild half done): the snapshot is built from the years.
  const { bucket: _b, dimension: _d, id: _i, ...fields } = total;
  await store.putAggregateRecords([{ pk: "AGG#ALL", sk: "TOTAL#all", ...fields, plays: total.plays - 1 }]);
  try {
    await store.bumpStatsGeneration();
    buckets.length = 0;
    const lagging = await spy.top("tracks", spec, "time", 100, NOW);
    const read = buckets as string[];
    assert.ok(read.includes("Y#2025") && !read.includes("ALL"), "built from the years");
    assert.deepEqual(lagging.items, fromSnapshot.items);
  } finally {
    await store.putAggregateRecords([{ pk: "AGG#ALL", sk: "TOTAL#all", ...fields }]);
    await store.bumpStatsGeneration();
  }
});
