import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { recordListen } from "#shared/capture/record.ts";
import type { Play } from "#shared/domain/entities.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import { artistIdsOf } from "#shared/stats/aggregates.ts";
import { artistDetail, type SeriesBucket, trackDetail } from "#shared/stats/detail.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import type { Store } from "#shared/store/port.ts";
import { createDynamoStore } from "#shared/store/repository.ts";
import { generatePlays } from "#test/support/plays.ts";
import { dynamoEndpoint, uniqueTableName } from "#test/support/services.ts";
import { at, local } from "#test/support/stats-brute-force.ts";

/**
 * The track and artist pages against a brute force over the plays (local dates from Intl), on
 * a generated history crowded around midnights, month ends and DST switches, in zones east and
 * west of UTC, with and without DST, by week and by month. Another listener's plays of the same
 * tracks share the table and must not show.
 */

const NOW = Date.parse("2026-03-15T10:20:00.000Z");
const generated = generatePlays({ count: 300, seed: 23, now: NOW, spanDays: 700 });
const plays = generated.map((g) => g.play);
const ZONES = ["UTC", "Asia/Kolkata", "America/New_York", "Australia/Adelaide", "Pacific/Kiritimati"];
let store: Store;

before(async () => {
  const client = createDocumentClient({ region: "us-east-1", endpoint: await dynamoEndpoint() });
  const tableName = uniqueTableName("item-stats");
  await ensureTable(client, tableName);
  store = createDynamoStore({ client, tableName, listener: OWNER_ID });
  const member = createDynamoStore({ client, tableName, listener: "member-2" });
  for (const g of generated) await recordListen(store, g.play, g.track);
  for (const g of generatePlays({ count: 60, seed: 24, now: NOW, spanDays: 700 }))
    await recordListen(member, g.play, g.track);
});

const day = (date: string, n: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
function startOf(date: string, bucket: SeriesBucket) {
  if (bucket === "month") return `${date.slice(0, 7)}-01`;
  return day(date, -((new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7));
}

function expected(mine: Play[], tz: string, bucket: SeriesBucket) {
  const sorted = [...mine].sort((a, b) => at(a) - at(b));
  const first = sorted[0] as Play;
  const last = sorted.at(-1) as Play;
  const series = new Map<string, { bucket: string; plays: number; listened_ms: number }>();
  const end = startOf(local(tz, at(last)).date, bucket);
  for (let d = local(tz, at(first)).date; startOf(d, bucket) <= end; d = day(d, 1)) {
    const s = startOf(d, bucket);
    if (!series.has(s)) series.set(s, { bucket: s, plays: 0, listened_ms: 0 });
  }
  const counted = mine.filter((p) => p.counted);
  for (const p of counted) {
    const point = series.get(startOf(local(tz, at(p)).date, bucket));
    assert.ok(point);
    point.plays += 1;
    point.listened_ms += p.listened_ms;
  }
  const skips = mine.length - counted.length;
  return {
    plays: counted.length,
    skips,
    skip_rate: skips / mine.length,
    listened_ms: counted.reduce((n, p) => n + p.listened_ms, 0),
    first_listened_at: first.listened_at,
    last_listened_at: last.listened_at,
    series: [...series.values()],
  };
}

const pick = <T extends object>(o: T, keys: readonly string[]) =>
  Object.fromEntries(keys.map((k) => [k, (o as Record<string, unknown>)[k]]));
const FIELDS = [
  "plays",
  "skips",
  "skip_rate",
  "listened_ms",
  "first_listened_at",
  "last_listened_at",
  "series",
];

const trackIds = [...new Set(plays.map((p) => p.track_id))].slice(0, 8);
const artistIds = ["ar0", "ar1", "ar2", "ar5", "ar7"];

test("the history puts checked items' plays in another local month (and week) than their UTC one", () => {
  const checked = plays.filter(
    (p) => trackIds.includes(p.track_id) || artistIdsOf(p).some((a) => artistIds.includes(a.id)),
  );
  for (const tz of ZONES.slice(1)) {
    const moved = (b: SeriesBucket) =>
      checked.filter(
        (p) => p.counted && startOf(local(tz, at(p)).date, b) !== startOf(p.listened_at.slice(0, 10), b),
      ).length;
    assert.ok(moved("month") >= 2 && moved("week") >= 1, `${tz}: ${moved("month")}, ${moved("week")}`);
  }
  // An artist credited twice on one track counts once per play.
  assert.ok(plays.some((p) => p.artists.filter((a) => a.id && a.id === p.artists[0]?.id).length > 1));
});

for (const tz of ZONES) {
  describe(`track and artist pages in ${tz} equal a brute force`, () => {
    for (const bucket of ["month", "week"] as const) {
      test(`tracks by ${bucket}`, async () => {
        for (const id of trackIds) {
          const got = await trackDetail(store, id, { tz, bucket }, NOW);
          assert.ok(got, id);
          assert.deepEqual(
            pick(got, FIELDS),
            expected(
              plays.filter((p) => p.track_id === id),
              tz,
              bucket,
            ),
            `${tz} ${bucket} ${id}`,
          );
        }
      });
      test(`artists by ${bucket}`, async () => {
        for (const id of artistIds) {
          const got = await artistDetail(store, id, { tz, bucket }, NOW);
          assert.ok(got, id);
          const mine = plays.filter((p) => artistIdsOf(p).some((a) => a.id === id));
          assert.deepEqual(pick(got, FIELDS), expected(mine, tz, bucket), `${tz} ${bucket} ${id}`);
        }
      });
    }
  });
}

test("an item the listener never played is null (the route's 404), even when another listener did", async () => {
  assert.equal(await trackDetail(store, "no-such-track", { tz: "UTC", bucket: "month" }, NOW), null);
  assert.equal(await artistDetail(store, "ar-nobody", { tz: "UTC", bucket: "month" }, NOW), null);
});
