import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { recordListen } from "#shared/capture/record.ts";
import type { Play } from "#shared/domain/entities.ts";
import { NO_GENRE } from "#shared/stats/compute.ts";
import { packClosedMonths } from "#shared/stats/packs.ts";
import type { RangeSpec } from "#shared/stats/plan.ts";
import { createStatsReader, type StatsReader } from "#shared/stats/reader.ts";
import { localDayStart } from "#shared/stats/zones.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import type { Store } from "#shared/store/port.ts";
import { createDynamoStore } from "#shared/store/repository.ts";
import { artistGenres, type GeneratedPlay, generatePlays } from "#test/support/plays.ts";
import { dynamoEndpoint, uniqueTableName } from "#test/support/services.ts";

/**
 * Every statistic, read from the aggregates the play transactions maintain, against a brute
 * force over the plays themselves (local dates from Intl, not from shared/stats/zones.ts), in
 * UTC, a :30 zone, a :45 zone, a DST zone and a :30 DST zone, over named and explicit ranges.
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
  store = createDynamoStore({ client, tableName });
  // In shuffled order, as backfill and imports deliver them.
  const shuffled = [...generated].sort((a, b) =>
    a.play.ended_at.slice(-7) < b.play.ended_at.slice(-7) ? -1 : 1,
  );
  for (const g of shuffled) await recordListen(store, g.play, g.track);
  // Closed months answer from their packs (shared/stats/packs.ts), as after the hourly job.
  assert.ok((await packClosedMonths(store, NOW)).packed > 12);
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

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const formats = new Map<string, Intl.DateTimeFormat>();
function local(tz: string, ms: number) {
  let f = formats.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      hourCycle: "h23",
      weekday: "short",
    });
    formats.set(tz, f);
  }
  const p = Object.fromEntries(f.formatToParts(ms).map((x) => [x.type, x.value]));
  return {
    date: `${p.year}-${p.month}-${p.day}`,
    hour: Number(p.hour),
    weekday: WEEKDAYS.indexOf(String(p.weekday)),
  };
}

const day = (date: string, days: number) =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
function monthsBack(date: string, months: number) {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const lastOfTarget = new Date(Date.UTC(y, m - 1 - months + 1, 0)).getUTCDate();
  return new Date(Date.UTC(y, m - 1 - months, Math.min(d, lastOfTarget))).toISOString().slice(0, 10);
}

interface Case {
  name: string;
  spec: (tz: string) => RangeSpec;
  /** Which plays the range holds, and its first and last local date (for the timeline). */
  holds: (tz: string) => { test: (p: Play) => boolean; first: string; last: string };
}

const at = (p: Play) => Date.parse(p.listened_at);
const firstPlay = Math.min(...plays.map(at));

function named(range: "7d" | "4w" | "6m" | "1y"): Case {
  return {
    name: range,
    spec: (tz) => ({ tz, range }),
    holds: (tz) => {
      const today = local(tz, NOW).date;
      const first =
        range === "7d"
          ? day(today, -6)
          : range === "4w"
            ? day(today, -27)
            : day(monthsBack(today, range === "6m" ? 6 : 12), 1);
      return { test: (p) => local(tz, at(p)).date >= first && at(p) <= NOW, first, last: today };
    },
  };
}

function instants(from: string, to: string): Case {
  return {
    name: `${from} → ${to}`,
    spec: (tz) => ({ tz, from: Date.parse(from), to: Date.parse(to) }),
    holds: (tz) => ({
      test: (p) => at(p) >= Date.parse(from) && at(p) < Date.parse(to),
      first: local(tz, Date.parse(from)).date,
      last: local(tz, Date.parse(to) - 1).date,
    }),
  };
}

/** Local dates, both included: what `from=2025-03-01&to=2025-11-05` means to the API. */
function dates(from: string, to: string): Case {
  return {
    name: `${from} … ${to} (local dates)`,
    spec: (tz) => ({ tz, from: localDayStart(tz, from), to: localDayStart(tz, day(to, 1)) }),
    holds: (tz) => ({
      test: (p) => local(tz, at(p)).date >= from && local(tz, at(p)).date <= to,
      first: from,
      last: to,
    }),
  };
}

const CASES: Case[] = [
  named("7d"),
  named("4w"),
  named("6m"),
  named("1y"),
  {
    name: "all",
    spec: (tz) => ({ tz, range: "all" }),
    holds: (tz) => ({ test: () => true, first: local(tz, firstPlay).date, last: local(tz, NOW).date }),
  },
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

type Row = { id: string; plays: number; listened_ms: number; name: string | null };

function rankRows<T extends { id: string; plays: number; listened_ms: number }>(
  rows: T[],
  by: "plays" | "time",
) {
  const [a, b] = by === "plays" ? (["plays", "listened_ms"] as const) : (["listened_ms", "plays"] as const);
  return [...rows].sort((x, y) => y[a] - x[a] || y[b] - x[b] || (x.id < y.id ? -1 : 1));
}

function expectedTop(inRange: Play[], kind: "tracks" | "artists" | "albums"): Row[] {
  const rows = new Map<string, Row>();
  const add = (id: string, name: string | null, p: Play) => {
    const r = rows.get(id) ?? { id, plays: 0, listened_ms: 0, name };
    r.plays += 1;
    r.listened_ms += p.listened_ms;
    rows.set(id, r);
  };
  for (const p of inRange) {
    if (!p.counted) continue;
    if (kind === "tracks") add(p.track_id, p.name, p);
    if (kind === "albums" && p.album_id) add(p.album_id, byTrack.get(p.track_id)?.album?.name ?? null, p);
    if (kind === "artists") {
      const seen = new Set<string>();
      for (const a of p.artists) {
        if (!a.id || seen.has(a.id)) continue;
        seen.add(a.id);
        add(a.id, a.name, p);
      }
    }
  }
  return [...rows.values()];
}

function expectedGenres(inRange: Play[]) {
  const rows = new Map<string, { id: string; plays: number; listened_ms: number; artists: Set<string> }>();
  for (const p of inRange) {
    if (!p.counted) continue;
    const ids = new Set(p.artists.flatMap((a) => (a.id ? [a.id] : [])));
    for (const id of ids) {
      const genres = artistGenres(id);
      for (const g of genres && genres.length > 0 ? genres : [NO_GENRE]) {
        const r = rows.get(g) ?? { id: g, plays: 0, listened_ms: 0, artists: new Set<string>() };
        r.plays += 1;
        r.listened_ms += p.listened_ms;
        r.artists.add(id);
        rows.set(g, r);
      }
    }
  }
  return [...rows.values()].map((r) => ({ ...r, artists: r.artists.size }));
}

function expectedStreak(inRange: Play[], tz: string) {
  const active = new Set(inRange.filter((p) => p.counted).map((p) => local(tz, at(p)).date));
  let best: { days: number; from: string; to: string } | null = null;
  for (const d of [...active].sort()) {
    let n = 1;
    while (active.has(day(d, n))) n++;
    if (!best || n > best.days) best = { days: n, from: d, to: day(d, n - 1) };
  }
  return best;
}

function startOf(date: string, bucket: "day" | "week" | "month") {
  if (bucket === "day") return date;
  if (bucket === "month") return `${date.slice(0, 7)}-01`;
  return day(date, -((new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7));
}

function expectedTimeline(
  inRange: Play[],
  tz: string,
  bucket: "day" | "week" | "month",
  first: string,
  last: string,
) {
  const points = new Map<string, { start: string; plays: number; listened_ms: number }>();
  for (let d = first; d <= last; d = day(d, 1)) {
    const s = startOf(d, bucket);
    if (!points.has(s)) points.set(s, { start: s, plays: 0, listened_ms: 0 });
  }
  for (const p of inRange) {
    if (!p.counted) continue;
    const point = points.get(startOf(local(tz, at(p)).date, bucket));
    assert.ok(point, `play ${p.listened_at} falls inside the timeline`);
    point.plays += 1;
    point.listened_ms += p.listened_ms;
  }
  return [...points.values()];
}

// ------------------------------------------------------------------ the comparison

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
      test(c.name, async () => {
        const spec = c.spec(tz);
        const { test: holds, first, last } = c.holds(tz);
        const inRange = plays.filter(holds);
        assert.ok(inRange.length > 0, "the range holds plays");
        const label = `${tz} ${c.name}`;

        for (const kind of ["tracks", "artists", "albums"] as const) {
          for (const by of ["plays", "time"] as const) {
            const got = await reader.top(kind, spec, by, 100, NOW);
            const want = rankRows(expectedTop(inRange, kind), by);
            const idOf = (r: Record<string, unknown>) => String(r.track_id ?? r.artist_id ?? r.album_id);
            assert.deepEqual(
              got.items.map((r) => ({
                id: idOf(r as unknown as Record<string, unknown>),
                plays: r.plays,
                listened_ms: r.listened_ms,
                name: r.name,
              })),
              want,
              `${label} top ${kind} by ${by}`,
            );
            assert.deepEqual(
              got.items.map((r) => r.rank),
              want.map((_, i) => i + 1),
            );
          }
        }
        const tracks = await reader.top("tracks", spec, "plays", 3, NOW);
        assert.equal(tracks.items.length, Math.min(3, expectedTop(inRange, "tracks").length), "limit");
        for (const t of tracks.items) {
          const info = byTrack.get(t.track_id);
          assert.deepEqual(
            { artists: t.artists, image: t.image_url },
            { artists: info?.artists.map((a) => a.name), image: info?.album?.image_url ?? null },
            `${label} track details`,
          );
        }

        const genres = await reader.topGenres(spec, "plays", 100, NOW);
        assert.deepEqual(
          genres.items.map(({ genre, plays: n, listened_ms, artists }) => ({
            id: genre,
            plays: n,
            listened_ms,
            artists,
          })),
          rankRows(expectedGenres(inRange), "plays"),
          `${label} genres`,
        );

        const summary = await reader.summary(spec, NOW);
        const counted = inRange.filter((p) => p.counted);
        const skips = inRange.length - counted.length;
        const earliest = [...inRange].sort((a, b) => (a.listened_at < b.listened_at ? -1 : 1))[0];
        assert.deepEqual(
          {
            plays: summary.plays,
            skips: summary.skips,
            skip_rate: summary.skip_rate,
            listened_ms: summary.listened_ms,
            distinct_tracks: summary.distinct_tracks,
            distinct_artists: summary.distinct_artists,
            longest_streak: summary.longest_streak,
            first: summary.first_listen?.listened_at,
          },
          {
            plays: counted.length,
            skips,
            skip_rate: skips / inRange.length,
            listened_ms: counted.reduce((n, p) => n + p.listened_ms, 0),
            distinct_tracks: new Set(counted.map((p) => p.track_id)).size,
            distinct_artists: new Set(counted.flatMap((p) => p.artists.flatMap((a) => (a.id ? [a.id] : []))))
              .size,
            longest_streak: expectedStreak(inRange, tz),
            first: earliest?.listened_at,
          },
          `${label} summary`,
        );

        const clock = await reader.clock(spec, NOW);
        const grid = () => Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
        const wantPlays = grid();
        const wantMs = grid();
        for (const p of counted) {
          const l = local(tz, at(p));
          (wantPlays[l.weekday] as number[])[l.hour] = ((wantPlays[l.weekday] as number[])[l.hour] ?? 0) + 1;
          (wantMs[l.weekday] as number[])[l.hour] =
            ((wantMs[l.weekday] as number[])[l.hour] ?? 0) + p.listened_ms;
        }
        assert.deepEqual(clock.plays, wantPlays, `${label} clock plays`);
        assert.deepEqual(clock.listened_ms, wantMs, `${label} clock listened`);

        for (const bucket of ["day", "week", "month"] as const) {
          const got = await reader.timeline(spec, bucket, NOW);
          assert.deepEqual(
            got.points,
            expectedTimeline(inRange, tz, bucket, first, last),
            `${label} timeline by ${bucket}`,
          );
        }
      });
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

test("all-time statistics read the ALL bucket, and the year buckets when ALL disagrees with them", async () => {
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
  const fromAll = await spy.top("tracks", spec, "time", 100, NOW);
  assert.deepEqual(buckets, ["ALL"]);

  // A hoard recorded before ALL existed (or a rebuild half done): ALL's totals lag the years'.
  const [total] = await store.batchGetAggregates([{ bucket: "ALL", dimension: "TOTAL", id: "all" }]);
  assert.ok(total);
  await store.deleteAggregateRecords([{ pk: "AGG#ALL", sk: "TOTAL#all" }]);
  try {
    buckets.length = 0;
    const fromYears = await spy.top("tracks", spec, "time", 100, NOW);
    // ALL is read speculatively, alongside the check, then the years answer.
    assert.deepEqual(buckets.sort(), ["ALL", "Y#2024", "Y#2025", "Y#2026"]);
    assert.deepEqual(fromYears.items, fromAll.items);
  } finally {
    const { bucket: _b, dimension: _d, id: _i, ...fields } = total;
    await store.putAggregateRecords([{ pk: "AGG#ALL", sk: "TOTAL#all", ...fields }]);
  }
  buckets.length = 0;
  await spy.top("tracks", spec, "time", 100, NOW);
  assert.deepEqual(buckets, ["ALL"]);
});
