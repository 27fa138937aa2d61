import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { recordListen } from "#shared/capture/record.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import {
  decodeDays,
  decodeTrackDays,
  encodeDays,
  encodeTrackDays,
  monthsBetween,
  packClosedMonths,
  readTrackDays,
} from "#shared/stats/packs.ts";
import { type RangeSpec, utcDaysTouching } from "#shared/stats/plan.ts";
import { createStatsReader } from "#shared/stats/reader.ts";
import { localDateKey, localDayStart } from "#shared/stats/zones.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import type { Store } from "#shared/store/port.ts";
import { createDynamoStore } from "#shared/store/repository.ts";
import { generatePlays, playOf } from "#test/support/plays.ts";
import { dynamoEndpoint, uniqueTableName } from "#test/support/services.ts";

/**
 * Month packs (shared/stats/packs.ts) against DynamoDB Local: the reader takes a closed month
 * from its pack only while the pack matches the month's TOTAL, and answers the same either way.
 */

const NOW = Date.parse("2026-03-15T10:20:00.000Z");
const generated = generatePlays({ count: 120, seed: 5, now: NOW, spanDays: 100 });
let store: Store;

/** The store, with the months of every DAY-row Query noted in `months`. */
function watch(base: Store) {
  const months: string[] = [];
  const watched: Store = {
    ...base,
    queryDays: (year, from, to, opts) => {
      for (const m of monthsBetween(from.slice(0, 7), to.slice(0, 7))) months.push(m);
      return base.queryDays(year, from, to, opts);
    },
  };
  return { watched, months };
}

/** The same store with no pack ever found: the DAY rows answer everything. */
const packless = (base: Store): Store => ({ ...base, queryDayPacks: async () => [] });

// The whole history as a custom range (from the first listen's local midnight): named ranges
// answer from their snapshots (test/adapter/stats-snapshot.test.ts), custom ones read the packs.
const TZ = "America/New_York";
const firstListen = Math.min(...generated.map((g) => Date.parse(g.play.listened_at)));
const spec: RangeSpec = { tz: TZ, from: localDayStart(TZ, localDateKey(TZ, firstListen)) };

before(async () => {
  const client = createDocumentClient({ region: "us-east-1", endpoint: await dynamoEndpoint() });
  const tableName = uniqueTableName("packs");
  await ensureTable(client, tableName);
  store = createDynamoStore({ client, tableName, listener: OWNER_ID });
  for (const g of generated) await recordListen(store, g.play, g.track);
});

describe("month packs", () => {
  test("encoding round-trips the DAY rows' triples", () => {
    const rows = [
      {
        bucket: "Y#2026",
        dimension: "DAY" as const,
        id: "2026-01-02",
        plays: 3,
        skips: 0,
        listened_ms: 9,
        slots: [0, 1, 3, 95, 2, 6],
      },
      { bucket: "Y#2026", dimension: "DAY" as const, id: "2026-01-03", plays: 0, skips: 1, listened_ms: 0 },
    ];
    assert.deepEqual(decodeDays(encodeDays(rows)), [
      { day: "2026-01-02", slots: [0, 1, 3, 95, 2, 6] },
      { day: "2026-01-03", slots: [] },
    ]);
  });

  test("closed months are packed once; the reader then reads DAY rows only for the open month", async () => {
    const months = monthsBetween(
      generated
        .map((g) => g.play.listened_at)
        .sort()[0]
        ?.slice(0, 7) ?? "",
      "2026-02",
    );
    const played = new Set(generated.map((g) => g.play.listened_at.slice(0, 7)).filter((m) => m < "2026-03"));
    assert.ok(played.size >= 3, "the history spans several closed months");
    // Months without a listen have nothing to pack.
    assert.deepEqual(await packClosedMonths(store, NOW), { months: months.length, packed: played.size });
    assert.deepEqual(await packClosedMonths(store, NOW), { months: months.length, packed: 0 });

    const { watched, months: read } = watch(store);
    const fromPacks = await createStatsReader(watched).clock(spec, NOW);
    // The first month is partial in New York's days (it starts at the first listen's local
    // midnight), so its days come from DAY rows too; every whole closed month came packed.
    // (Months without a listen have no TOTAL to vouch for a pack: their rows are asked, and are none.)
    const wholeClosed = months.slice(1).filter((m) => played.has(m));
    assert.ok(
      read.every((m) => !wholeClosed.includes(m)),
      `DAY rows read for ${read.join(", ")}`,
    );
    assert.ok(read.includes("2026-03"));

    const fromRows = await createStatsReader(packless(store)).clock(spec, NOW);
    assert.deepEqual(fromPacks, fromRows);
    assert.ok(fromPacks.plays.flat().reduce((a, b) => a + b, 0) > 50);
  });

  test("a listen recorded later in a packed month makes its pack stale until it is packed again", async () => {
    const g = generated.find((x) => x.play.listened_at.startsWith("2026-02")) ?? generated[0];
    assert.ok(g);
    // A late backfill: Sunday 8 February 2026, 23:10 in New York.
    const late = playOf(g.track, Date.parse("2026-02-09T04:10:00.000Z"), 200_000, true);
    const before = await createStatsReader(store).clock(spec, NOW);
    assert.equal(await recordListen(store, late, g.track), "recorded");

    const { watched, months: read } = watch(store);
    const after = await createStatsReader(watched).clock(spec, NOW);
    assert.ok(read.includes("2026-02"), "the stale February pack is not used");
    assert.equal((after.plays[6]?.[23] ?? 0) - (before.plays[6]?.[23] ?? 0), 1);
    assert.deepEqual(after, await createStatsReader(packless(store)).clock(spec, NOW));

    assert.equal((await packClosedMonths(store, NOW)).packed, 1);
    const again = watch(store);
    assert.deepEqual(await createStatsReader(again.watched).clock(spec, NOW), after);
    assert.ok(!again.months.includes("2026-02"), "February is packed again");
  });

  test("a month whose DAY rows do not add up to its TOTAL is not packed (an import batch between parts)", async () => {
    const [total] = await store.batchGetAggregates([{ bucket: "M#2026-01", dimension: "TOTAL", id: "all" }]);
    assert.ok(total);
    const { bucket: _b, dimension: _d, id: _i, ...fields } = total;
    const put = (plays: number) =>
      store.putAggregateRecords([{ pk: "AGG#M#2026-01", sk: "TOTAL#all", ...fields, plays }]);
    await put(total.plays + 1);
    try {
      assert.equal((await packClosedMonths(store, NOW)).packed, 0);
      const { watched, months: read } = watch(store);
      await createStatsReader(watched).clock(spec, NOW);
      assert.ok(read.includes("2026-01"), "January is read from its DAY rows");
    } finally {
      await put(total.plays);
    }
    const { watched, months: read } = watch(store);
    await createStatsReader(watched).clock(spec, NOW);
    assert.ok(!read.includes("2026-01"), "the old pack holds again");
  });

  test("a failed read fails the statistic, and leaves no rejection unhandled", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const failing: Store = {
        ...store,
        batchGetAggregates: async () => {
          throw new Error("throttled");
        },
        getStatsValidity: async () => {
          throw new Error("throttled");
        },
      };
      const reader = createStatsReader(failing);
      // All-time: its snapshot check, and the speculative read of ALL beside the years' check.
      const all = { tz: TZ, range: "all" as const };
      await assert.rejects(reader.top("artists", all, "plays", 5, NOW), /throttled/);
      await assert.rejects(reader.topGenres(all, "plays", 5, NOW), /throttled/);
      await new Promise((ok) => setTimeout(ok, 50));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  test("timeline and summary agree with and without packs", async () => {
    const packed = createStatsReader(store);
    const rows = createStatsReader(packless(store));
    for (const bucket of ["day", "week", "month"] as const) {
      assert.deepEqual(await packed.timeline(spec, bucket, NOW), await rows.timeline(spec, bucket, NOW));
    }
    assert.deepEqual(await packed.summary(spec, NOW), await rows.summary(spec, NOW));
  });

  test("track packs: a year of days in one Query, D buckets for the rest; a pack without one is packed again", async () => {
    assert.deepEqual(
      decodeTrackDays(encodeTrackDays(new Map([["2026-01-02", new Map([["t1", 3]])]]))),
      new Map([["2026-01-02", new Map([["t1", 3]])]]),
    );
    const days = utcDaysTouching({ from: Date.parse("2025-11-20T00:00:00Z"), to: NOW });
    /** The store, with the D buckets asked for and the track packs' Queries noted. */
    const counting = (base: Store) => {
      const seen = { dBuckets: [] as string[], packQueries: 0 };
      const watched: Store = {
        ...base,
        queryAggregates: (bucket, dimension, opts) => {
          if (bucket.startsWith("D#")) seen.dBuckets.push(bucket.slice(2));
          return base.queryAggregates(bucket, dimension, opts);
        },
        queryTrackDayPacks: (year, from, to) => {
          seen.packQueries++;
          return base.queryTrackDayPacks(year, from, to);
        },
      };
      return { watched, seen };
    };
    const fromBuckets = counting({ ...store, queryTrackDayPacks: async () => [] });
    const want = await readTrackDays(fromBuckets.watched, days);
    assert.equal(fromBuckets.seen.dBuckets.length, days.length);
    const plays = [...want.values()].flatMap((m) => [...m.values()]).reduce((a, b) => a + b, 0);
    assert.ok(plays > 30, `${plays} counted plays in the days read`);

    await packClosedMonths(store, NOW);
    const packed = counting(store);
    assert.deepEqual(await readTrackDays(packed.watched, days), want);
    // Packed: November, December, January and February; March is open: its days are D buckets.
    assert.deepEqual(
      packed.seen.dBuckets,
      days.filter((d) => d >= "2026-03"),
    );
    assert.equal(packed.seen.packQueries, 2, "one Query per UTC year");

    // A month pack written before track packs existed: its month is packed again, and read
    // from the D buckets until then.
    const oldFormat: Store = {
      ...store,
      queryTrackDayPacks: async (y, a, b) =>
        (await store.queryTrackDayPacks(y, a, b)).filter((p) => p.month !== "2026-01"),
    };
    const meanwhile = counting(oldFormat);
    assert.deepEqual(await readTrackDays(meanwhile.watched, days), want);
    assert.ok(
      meanwhile.seen.dBuckets.includes("2026-01-15") && !meanwhile.seen.dBuckets.includes("2026-02-15"),
    );
    const repacked: string[] = [];
    const packing: Store = {
      ...oldFormat,
      putTrackDayPack: async (p) => {
        repacked.push(p.month);
      },
    };
    assert.deepEqual(await packClosedMonths(packing, NOW), {
      months: (await packClosedMonths(store, NOW)).months,
      packed: 1,
    });
    assert.deepEqual(repacked, ["2026-01"]);
  });
});
