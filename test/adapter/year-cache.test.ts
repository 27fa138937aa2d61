import assert from "node:assert/strict";
import { before, test } from "node:test";
import { recordListen } from "#shared/capture/record.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import { yearInReview } from "#shared/stats/recap.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import type { Store, TrackInfo } from "#shared/store/port.ts";
import { createDynamoStore } from "#shared/store/repository.ts";
import { playOf } from "#test/support/plays.ts";
import { dynamoEndpoint, uniqueTableName } from "#test/support/services.ts";

/**
 * The kept answer of a closed year (shared/stats/recap.ts): used while nothing before the
 * year's end changed, recomputed after a late listen, a listen past UTC midnight that is still
 * the year in a zone west of UTC, and a deletion; never for the year so far (whose numbers
 * before today come from the statistics reader's snapshot instead). Which store reads
 * a call made tells a kept answer (no aggregate Query, no play listing) from a computed one.
 */

const NOW = Date.parse("2026-03-15T10:20:00.000Z");
const track = (id: string, artist: string): TrackInfo => ({
  track_id: id,
  kind: "track",
  name: `Song ${id}`,
  uri: `spotify:track:${id}`,
  artists: [{ id: artist, name: `Artist ${artist}` }],
  album: { id: `al-${id}`, name: `Album ${id}`, image_url: null },
  duration_ms: 200_000,
});
const listen = (s: Store, t: TrackInfo, iso: string) =>
  recordListen(s, playOf(t, Date.parse(iso), 120_000, true), t);

let store: Store;
const calls: string[] = [];
/** Each call's method and first argument ("queryAggregates M#2026-01"). */
const asked: string[] = [];
/** The store, noting each method called. */
let counted: Store;

before(async () => {
  const client = createDocumentClient({ region: "us-east-1", endpoint: await dynamoEndpoint() });
  const tableName = uniqueTableName("yearcache");
  await ensureTable(client, tableName);
  store = createDynamoStore({ client, tableName, listener: OWNER_ID });
  counted = new Proxy(store, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== "function") return v;
      return (...args: unknown[]) => {
        calls.push(String(prop));
        asked.push(`${String(prop)} ${String(args[0])}`);
        return v.apply(target, args);
      };
    },
  });
  await listen(store, track("t1", "ar-1"), "2024-05-01T12:00:00.000Z");
  await listen(store, track("t1", "ar-1"), "2025-02-01T12:00:00.000Z");
  await listen(store, track("t2", "ar-2"), "2025-07-01T12:00:00.000Z");
});

/** One read of the year and whether it computed (read aggregates or plays) or was kept. */
async function read(year: number, tz: string) {
  calls.length = 0;
  asked.length = 0;
  const answer = await yearInReview(counted, { year, tz }, NOW);
  const computed = calls.some((c) => c === "queryAggregates" || c === "listPlays");
  return { answer, computed };
}

test("a closed year is computed once, then kept; live listens leave it kept", async () => {
  const first = await read(2025, "America/New_York");
  assert.equal(first.computed, true);
  assert.equal(first.answer.plays, 2);
  const again = await read(2025, "America/New_York");
  assert.equal(again.computed, false);
  assert.deepEqual(again.answer, first.answer);
  // A live listen (after the year's end and after the cutoff's UTC day).
  await listen(store, track("t3", "ar-3"), "2026-03-15T10:00:00.000Z");
  assert.equal((await read(2025, "America/New_York")).computed, false);
});

test("a late listen in the year is seen at once", async () => {
  await read(2025, "UTC");
  await listen(store, track("t4", "ar-4"), "2025-09-01T12:00:00.000Z");
  const after = await read(2025, "UTC");
  assert.equal(after.computed, true);
  assert.equal(after.answer.plays, 3);
  assert.ok(after.answer.new_artists.items.some((i) => i.artist.artist_id === "ar-4"));
  assert.equal((await read(2025, "UTC")).computed, false);
});

test("a listen past UTC midnight that is still the old year west of UTC is seen", async () => {
  const was = (await read(2025, "America/New_York")).answer.plays;
  // 31 Dec 2025 22:00 in New York.
  await listen(store, track("t5", "ar-5"), "2026-01-01T03:00:00.000Z");
  const after = await read(2025, "America/New_York");
  assert.equal(after.computed, true);
  assert.equal(after.answer.plays, was + 1);
});

test("a deletion is seen; an artist's new image is shown on a kept answer", async () => {
  const was = await read(2025, "UTC");
  assert.ok(await store.deletePlay("2025-07-01T12:00:00.000Z", "t2"));
  const after = await read(2025, "UTC");
  assert.equal(after.computed, true);
  assert.equal(after.answer.plays, was.answer.plays - 1);

  assert.equal((await read(2025, "UTC")).computed, false);
  await store.saveArtistMetadata({
    artist_id: "ar-1",
    name: "Artist ar-1",
    genres: null,
    popularity: 10,
    image_url: "https://i.scdn.co/image/ar-1",
    synced_at: "2026-03-15T10:00:00.000Z",
  });
  const kept = await read(2025, "UTC");
  assert.equal(kept.computed, false);
  assert.equal(
    kept.answer.top.artists.find((a) => a.artist_id === "ar-1")?.image_url,
    "https://i.scdn.co/image/ar-1",
  );
});

test("the year so far is computed on every read, its numbers before today from a snapshot", async () => {
  const yearBuckets = () => asked.filter((a) => /^queryAggregates (M|Y)#2026/.test(a));
  const first = await read(2026, "UTC");
  assert.equal(first.computed, true);
  assert.ok(yearBuckets().length > 0, "the first read of the day builds the snapshot from the buckets");
  const again = await read(2026, "UTC");
  assert.equal(again.computed, true);
  assert.deepEqual(yearBuckets(), [], "then the year's counters come from the snapshot");
  assert.ok(calls.includes("queryStatsSnapshot"));
  assert.deepEqual(again.answer, first.answer);
  // A listen today is in the next read (the plays since the snapshot's cutoff).
  await listen(store, track("t9", "ar-9"), "2026-03-15T09:00:00.000Z");
  const after = await read(2026, "UTC");
  assert.equal(after.answer.plays, first.answer.plays + 1);
  assert.ok(after.answer.top.artists.some((a) => a.artist_id === "ar-9"));
});
