import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { recordListen } from "#shared/capture/record.ts";
import type { Play } from "#shared/domain/entities.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import { yearResponseSchema } from "#shared/http/recap-schemas.ts";
import { artistIdsOf } from "#shared/stats/aggregates.ts";
import { packClosedMonths } from "#shared/stats/packs.ts";
import { yearInReview } from "#shared/stats/recap.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import type { Store, TrackInfo } from "#shared/store/port.ts";
import { createDynamoStore } from "#shared/store/repository.ts";
import { type GeneratedPlay, generatePlays, playOf } from "#test/support/plays.ts";
import { dynamoEndpoint, uniqueTableName } from "#test/support/services.ts";
import { at, local } from "#test/support/stats-brute-force.ts";

/**
 * The year in review against a brute force over the plays (local dates from Intl), for whole
 * years, the year so far and a year the history starts in, in zones east and west of UTC, with
 * DST and a :30 offset. The generated history crowds around year ends and midnights; added to
 * it: artists first heard right at a year's end (a new artist of one year in UTC, of the next
 * in Kolkata), an artist skipped before the year (skips do not make an artist known), and a
 * track repeated across a New Year's midnight.
 */

const NOW = Date.parse("2026-03-15T10:20:00.000Z");
const base = generatePlays({ count: 300, seed: 31, now: NOW, spanDays: 800 });
const newTrack = (id: string, artist: string): TrackInfo => ({
  track_id: id,
  kind: "track",
  name: `Song ${id}`,
  uri: `spotify:track:${id}`,
  artists: [{ id: artist, name: `Artist ${artist}` }],
  album: { id: `al-${id}`, name: `Album ${id}`, image_url: null },
  duration_ms: 200_000,
});
const extra: GeneratedPlay[] = [];
const add = (track: TrackInfo, iso: string, counted = true) =>
  extra.push({ track, play: playOf(track, Date.parse(iso), counted ? 120_000 : 5_000, counted) });
const burst = newTrack("burst", "ar-burst");
for (const h of ["18:00", "18:40", "19:10", "19:20", "19:45", "22:00"]) add(burst, `2025-12-31T${h}:00.000Z`);
add(newTrack("n1", "ar-new-edge"), "2025-12-31T20:00:00.000Z"); // 1 Jan 01:30 in Kolkata
add(newTrack("n1", "ar-new-edge"), "2026-01-03T20:00:00.000Z");
add(newTrack("n2", "ar-new-skipped"), "2024-11-03T10:00:00.000Z", false);
add(newTrack("n2", "ar-new-skipped"), "2025-06-10T10:00:00.000Z");
add(newTrack("n3", "ar-new-2026"), "2026-02-01T03:00:00.000Z");
const generated = [...base, ...extra];
const plays = generated.map((g) => g.play);
const ZONES = ["UTC", "Asia/Kolkata", "America/New_York", "Australia/Adelaide"];
let store: Store;

before(async () => {
  const client = createDocumentClient({ region: "us-east-1", endpoint: await dynamoEndpoint() });
  const tableName = uniqueTableName("year");
  await ensureTable(client, tableName);
  store = createDynamoStore({ client, tableName, listener: OWNER_ID });
  const member = createDynamoStore({ client, tableName, listener: "member-3" });
  for (const g of generated) await recordListen(store, g.play, g.track);
  for (const g of generatePlays({ count: 60, seed: 32, now: NOW, spanDays: 800 }))
    await recordListen(member, g.play, g.track);
});

const day = (date: string, n: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
type Row = { id: string; plays: number; listened_ms: number };
const ranked = (rows: Iterable<Row>) =>
  [...rows].sort((a, b) => b.plays - a.plays || b.listened_ms - a.listened_ms || (a.id < b.id ? -1 : 1));
function tally(ps: Play[], keysOf: (p: Play) => string[]): Map<string, Row> {
  const out = new Map<string, Row>();
  for (const p of ps) {
    for (const id of keysOf(p)) {
      const r = out.get(id) ?? { id, plays: 0, listened_ms: 0 };
      r.plays += 1;
      r.listened_ms += p.listened_ms;
      out.set(id, r);
    }
  }
  return out;
}
const artistsOf = (p: Play) => artistIdsOf(p).map((a) => a.id);

function expected(year: number, tz: string) {
  const inYear = plays.filter((p) => local(tz, at(p)).date.startsWith(`${year}-`) && at(p) <= NOW);
  const counted = inYear.filter((p) => p.counted);
  const ms = counted.reduce((n, p) => n + p.listened_ms, 0);
  const months = Array.from({ length: 12 }, (_, i) => {
    const month = `${year}-${String(i + 1).padStart(2, "0")}`;
    const of = counted.filter((p) => local(tz, at(p)).date.startsWith(month));
    const listened = of.reduce((n, p) => n + p.listened_ms, 0);
    return { month, plays: of.length, listened_ms: listened, minutes: Math.round(listened / 60_000) };
  });
  const topMonth =
    [...months]
      .filter((m) => m.plays > 0)
      .sort(
        (a, b) => b.plays - a.plays || b.listened_ms - a.listened_ms || (a.month < b.month ? -1 : 1),
      )[0] ?? null;
  const active = new Set(counted.map((p) => local(tz, at(p)).date));
  let streak: { days: number; from: string; to: string } | null = null;
  for (const d of [...active].sort()) {
    let n = 1;
    while (active.has(day(d, n))) n++;
    if (!streak || n > streak.days) streak = { days: n, from: d, to: day(d, n - 1) };
  }
  const perDay = tally(counted, (p) => [`${local(tz, at(p)).date} ${p.track_id}`]);
  const repeated = [...perDay.values()].sort(
    (a, b) => b.plays - a.plays || (a.id < b.id ? -1 : 1), // "date track": earlier date, then smaller id
  )[0];
  const start = Math.min(...inYear.map(at));
  const firstEver = new Map<string, string>();
  for (const p of [...plays].filter((p) => p.counted).sort((a, b) => at(a) - at(b)))
    for (const id of artistsOf(p)) if (!firstEver.has(id)) firstEver.set(id, p.listened_at);
  const yearArtists = tally(counted, artistsOf);
  const fresh = ranked(
    [...yearArtists.values()].filter((r) => Date.parse(firstEver.get(r.id) ?? "") >= start),
  );
  return {
    plays: counted.length,
    skips: inYear.length - counted.length,
    listened_ms: ms,
    minutes: Math.round(ms / 60_000),
    tracks: ranked(tally(counted, (p) => [p.track_id]).values()).slice(0, 5),
    artists: ranked(yearArtists.values()).slice(0, 5),
    albums: ranked(tally(counted, (p) => (p.album_id ? [p.album_id] : [])).values()).slice(0, 5),
    months,
    top_month: topMonth,
    longest_streak: streak,
    most_repeated_day: repeated
      ? { date: repeated.id.split(" ")[0], track_id: repeated.id.split(" ")[1], plays: repeated.plays }
      : null,
    new_artists: {
      count: fresh.length,
      items: fresh.slice(0, 10).map((r) => ({ id: r.id, plays: r.plays, first: firstEver.get(r.id) })),
    },
  };
}

test("the additions land where they are meant to", () => {
  const e25utc = expected(2025, "UTC");
  const e26kol = expected(2026, "Asia/Kolkata");
  assert.ok(e25utc.new_artists.items.some((i) => i.id === "ar-new-edge"));
  assert.ok(e26kol.new_artists.items.some((i) => i.id === "ar-new-edge"));
  assert.ok(e25utc.new_artists.items.some((i) => i.id === "ar-new-skipped"));
  assert.deepEqual(e25utc.most_repeated_day, { date: "2025-12-31", track_id: "burst", plays: 6 });
  // Kolkata's New Year (18:30 UTC) takes the five after it.
  assert.deepEqual(e26kol.most_repeated_day, { date: "2026-01-01", track_id: "burst", plays: 5 });
});

/** The route's answer for one year and zone against the brute force, read twice. */
async function compare(year: number, tz: string) {
  const want = expected(year, tz);
  // A closed year's second read is its kept answer (shared/stats/recap.ts): both must hold.
  for (const read of ["first read", "second read"]) {
    const got = yearResponseSchema.parse(await yearInReview(store, { year, tz }, NOW));
    const label = `${tz} ${year} ${read}`;
    assert.equal(got.so_far, year === 2026, label);
    assert.deepEqual(
      [got.plays, got.skips, got.listened_ms, got.minutes],
      [want.plays, want.skips, want.listened_ms, want.minutes],
      label,
    );
    const rows = (items: unknown[], id: string) =>
      (items as Record<string, unknown>[]).map((r) => ({
        id: r[id],
        plays: r.plays,
        listened_ms: r.listened_ms,
      }));
    assert.deepEqual(rows(got.top.tracks, "track_id"), want.tracks, `${label} tracks`);
    assert.deepEqual(rows(got.top.artists, "artist_id"), want.artists, `${label} artists`);
    assert.deepEqual(rows(got.top.albums, "album_id"), want.albums, `${label} albums`);
    assert.ok(got.top.genres.length > 0 && got.top.genres.length <= 5);
    assert.deepEqual(got.months, want.months, `${label} months`);
    assert.deepEqual(got.top_month, want.top_month, `${label} top month`);
    assert.deepEqual(got.longest_streak, want.longest_streak, `${label} streak`);
    assert.deepEqual(
      got.most_repeated_day && {
        date: got.most_repeated_day.date,
        track_id: got.most_repeated_day.track.track_id,
        plays: got.most_repeated_day.plays,
      },
      want.most_repeated_day,
      `${label} most repeated day`,
    );
    assert.deepEqual(
      {
        count: got.new_artists.count,
        items: got.new_artists.items.map((i) => ({
          id: i.artist.artist_id,
          plays: i.plays,
          first: i.first_listened_at,
        })),
      },
      want.new_artists,
      `${label} new artists`,
    );
  }
}

for (const tz of ZONES) {
  describe(`year in review in ${tz} equals a brute force`, () => {
    for (const year of [2024, 2025, 2026]) test(String(year), () => compare(year, tz));
  });
}

// Packed months (shared/stats/packs.ts) answer the most repeated day and the months from their
// packs: some months packed and the rest not, then every closed month. Packing moves no TOTAL,
// so the generation is bumped to drop the kept answers of closed years.
for (const [label, packedAt] of [
  ["months up to June 2025 packed", Date.parse("2025-07-15T00:00:00.000Z")],
  ["every closed month packed", NOW],
] as const) {
  describe(`year in review with ${label} equals a brute force`, () => {
    before(async () => {
      const packed = await packClosedMonths(store, packedAt);
      assert.ok(packed.packed > 0);
      await store.bumpStatsGeneration();
    });
    for (const tz of ZONES)
      for (const year of [2024, 2025, 2026]) test(`${tz} ${year}`, () => compare(year, tz));
  });
}

test("the current year by default; a year without plays answers zeros, not an error", async () => {
  const current = await yearInReview(store, { tz: "UTC" }, NOW);
  assert.deepEqual([current.year, current.so_far], [2026, true]);
  const empty = yearResponseSchema.parse(await yearInReview(store, { year: 2019, tz: "Europe/Paris" }, NOW));
  assert.deepEqual(
    [empty.plays, empty.top_month, empty.longest_streak, empty.most_repeated_day, empty.new_artists.count],
    [0, null, null, null, 0],
  );
  assert.equal(empty.months.length, 12);
});
