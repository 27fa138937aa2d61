import assert from "node:assert/strict";
import type { Play } from "#shared/domain/entities.ts";
import { NO_GENRE } from "#shared/stats/compute.ts";
import type { RangeSpec } from "#shared/stats/plan.ts";
import type { StatsReader } from "#shared/stats/reader.ts";
import { localDayStart } from "#shared/stats/zones.ts";
import type { TrackInfo } from "#shared/store/port.ts";
import { artistGenres } from "#test/support/plays.ts";

/**
 * Brute-force statistics over a list of plays (local dates from Intl, not from
 * shared/stats/zones.ts), and the check that every statistic the reader answers equals them:
 * the stats property test and the play-delete test both compare against these.
 */

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const formats = new Map<string, Intl.DateTimeFormat>();
export function local(tz: string, ms: number) {
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

export interface Case {
  name: string;
  spec: (tz: string) => RangeSpec;
  /** Which plays the range holds, and its first and last local date (for the timeline). */
  holds: (tz: string) => { test: (p: Play) => boolean; first: string; last: string };
}

export const at = (p: Play) => Date.parse(p.listened_at);

export function named(range: "7d" | "4w" | "6m" | "1y", NOW: number): Case {
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

export function instants(from: string, to: string): Case {
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
export function dates(from: string, to: string): Case {
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

/** The whole history: from the first play's local day to now. */
export function allTime(plays: readonly Play[], NOW: number): Case {
  const firstPlay = Math.min(...plays.map(at));
  return {
    name: "all",
    spec: (tz) => ({ tz, range: "all" }),
    holds: (tz) => ({ test: () => true, first: local(tz, firstPlay).date, last: local(tz, NOW).date }),
  };
}

type Row = { id: string; plays: number; listened_ms: number; name: string | null };

function rankRows<T extends { id: string; plays: number; listened_ms: number }>(
  rows: T[],
  by: "plays" | "time",
) {
  const [a, b] = by === "plays" ? (["plays", "listened_ms"] as const) : (["listened_ms", "plays"] as const);
  return [...rows].sort((x, y) => y[a] - x[a] || y[b] - x[b] || (x.id < y.id ? -1 : 1));
}

function expectedTop(
  inRange: Play[],
  kind: "tracks" | "artists" | "albums",
  byTrack: ReadonlyMap<string, TrackInfo>,
): Row[] {
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

/**
 * Every statistic of one range in one zone (top tracks/artists/albums by plays and time,
 * genres, summary, clock, timeline by day/week/month) equals the brute force over `plays`.
 */
export async function expectStatistics(
  reader: StatsReader,
  o: { plays: readonly Play[]; byTrack: ReadonlyMap<string, TrackInfo>; tz: string; c: Case; now: number },
): Promise<void> {
  const { byTrack, tz, c, now: NOW } = o;
  const spec = c.spec(tz);
  const { test: holds, first, last } = c.holds(tz);
  const inRange = o.plays.filter(holds);
  assert.ok(inRange.length > 0, "the range holds plays");
  const label = `${tz} ${c.name}`;

  for (const kind of ["tracks", "artists", "albums"] as const) {
    for (const by of ["plays", "time"] as const) {
      const got = await reader.top(kind, spec, by, 100, NOW);
      const want = rankRows(expectedTop(inRange, kind, byTrack), by);
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
  assert.equal(tracks.items.length, Math.min(3, expectedTop(inRange, "tracks", byTrack).length), "limit");
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
      distinct_artists: new Set(counted.flatMap((p) => p.artists.flatMap((a) => (a.id ? [a.id] : [])))).size,
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
    (wantMs[l.weekday] as number[])[l.hour] = ((wantMs[l.weekday] as number[])[l.hour] ?? 0) + p.listened_ms;
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
}
