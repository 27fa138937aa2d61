import type { Play } from "../domain/entities.ts";
import type { Aggregate } from "../store/port.ts";
import { type Dimension, playDeltas, type SlotTriples } from "./aggregates.ts";
import type { Window } from "./plan.ts";
import { addDays, DAY_MS, dayOffsets, localParts, offsetAt, QUARTER_MS } from "./zones.ts";

/**
 * The pure half of the statistics: merging bucket items and edge plays, ranking, and turning
 * quarter-hour counters into local days, weeks, hours. No I/O here (see reader.ts).
 */

export type RankBy = "plays" | "time";

export interface ItemTotals {
  id: string;
  plays: number;
  listened_ms: number;
  name: string | null;
  artists: string[];
  image_url: string | null;
  /**
   * Where complete display fields can be read: the latest bucket holding the item when it was
   * read without them, or the D bucket of its latest play when only edge plays named it (plays
   * do not carry album names or art). null once a bucket item supplied them.
   */
  detailsBucket: string | null;
}

/**
 * Sums one dimension over the bucket items and the plays of the edge fragments. Display fields
 * come from the most recent bucket that has the item, else from the plays.
 */
export function mergeDimension(
  dimension: Exclude<Dimension, "TOTAL" | "DAY">,
  bucketItems: readonly Aggregate[],
  fragmentPlays: readonly Play[],
): Map<string, ItemTotals> {
  const out = new Map<string, ItemTotals>();
  const tally = (id: string): ItemTotals => {
    let t = out.get(id);
    if (!t) {
      t = { id, plays: 0, listened_ms: 0, name: null, artists: [], image_url: null, detailsBucket: null };
      out.set(id, t);
    }
    return t;
  };
  const detailsFrom = new Map<string, string>();
  // Bucket names sort chronologically by their start once the "X#" prefix is dropped.
  const order = (bucket: string) => bucket.slice(2);
  for (const a of bucketItems) {
    if (a.dimension !== dimension) continue;
    const t = tally(a.id);
    t.plays += a.plays;
    t.listened_ms += a.listened_ms;
    const seen = detailsFrom.get(a.id);
    if (seen === undefined || order(a.bucket) > seen) {
      detailsFrom.set(a.id, order(a.bucket));
      // An item read without its display fields names the bucket to read them from.
      t.detailsBucket = a.name === undefined ? a.bucket : null;
      t.name = a.name ?? null;
      t.artists = a.artists ?? [];
      t.image_url = a.image_url ?? null;
    }
  }
  const latestPlay = new Map<string, string>();
  for (const p of fragmentPlays) {
    for (const d of playDeltas(p, null)) {
      if (d.dimension !== dimension || !d.bucket.startsWith("D#")) continue;
      const t = tally(d.id);
      t.plays += d.add.plays ?? 0;
      t.listened_ms += d.add.listened_ms ?? 0;
      if (!detailsFrom.has(d.id) && (latestPlay.get(d.id) ?? "") <= p.listened_at) {
        latestPlay.set(d.id, p.listened_at);
        t.name = typeof d.set.name === "string" ? d.set.name : null;
        t.artists = Array.isArray(d.set.artists) ? (d.set.artists as string[]) : [];
        t.detailsBucket = d.bucket;
      }
    }
  }
  return out;
}

export interface Totals {
  plays: number;
  skips: number;
  listened_ms: number;
}

/**
 * Sums the buckets' TOTALs and the plays of the edge fragments, less `minusPlays`: the plays of
 * a bucket's part outside the window (see planBuckets).
 */
export function mergeTotals(
  bucketTotals: readonly Aggregate[],
  fragmentPlays: readonly Play[],
  minusPlays: readonly Play[] = [],
): Totals {
  const t: Totals = { plays: 0, skips: 0, listened_ms: 0 };
  for (const a of bucketTotals) {
    if (a.dimension !== "TOTAL") continue;
    t.plays += a.plays;
    t.skips += a.skips;
    t.listened_ms += a.listened_ms;
  }
  for (const [plays, sign] of [
    [fragmentPlays, 1],
    [minusPlays, -1],
  ] as const) {
    for (const p of plays) {
      if (p.counted) {
        t.plays += sign;
        t.listened_ms += sign * p.listened_ms;
      } else t.skips += sign;
    }
  }
  return t;
}

/**
 * Takes plays back out of merged items: the part of a bucket outside the window (planBuckets'
 * `minus`), or the plays since a cutoff out of the ALL bucket. Every such play is in the items.
 */
export function takeBack(
  dimension: Exclude<Dimension, "TOTAL" | "DAY">,
  items: Map<string, ItemTotals>,
  plays: readonly Play[],
): Map<string, ItemTotals> {
  for (const t of mergeDimension(dimension, [], plays).values()) {
    const a = items.get(t.id);
    if (!a) continue;
    a.plays -= t.plays;
    a.listened_ms -= t.listened_ms;
  }
  return items;
}

/** Most played first (or most listened time); ties by the other measure, then by id. */
export function rank<T extends { id: string; plays: number; listened_ms: number }>(
  rows: Iterable<T>,
  by: RankBy,
  limit: number,
): T[] {
  const primary = by === "plays" ? "plays" : "listened_ms";
  const secondary = by === "plays" ? "listened_ms" : "plays";
  const order = (a: T, b: T) =>
    b[primary] - a[primary] || b[secondary] - a[secondary] || (a.id < b.id ? -1 : 1);
  // The few best of thousands (an all-time range's tracks): kept in order as they come, each
  // row compared with the last kept, instead of sorting every row. The order is total (ids are
  // unique), so the rows are the sort's.
  const top: T[] = [];
  for (const r of rows) {
    if (r.plays <= 0 || limit <= 0) continue;
    if (top.length === limit && order(r, top[limit - 1] as T) > 0) continue;
    let lo = 0;
    let hi = top.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (order(r, top[mid] as T) > 0) lo = mid + 1;
      else hi = mid;
    }
    top.splice(lo, 0, r);
    if (top.length > limit) top.pop();
  }
  return top;
}

export const NO_GENRE = "(no genre)";

export interface GenreTotals {
  id: string;
  plays: number;
  listened_ms: number;
  /** Artists of the range with this genre. */
  artists: number;
}

/**
 * Genres are not counted at write time (they arrive later, with the metadata sync): a genre's
 * total is the sum over the range's artists that have it. An artist with no genres (unknown to
 * the sync yet, or none on Spotify) counts under "(no genre)" rather than disappearing. A play
 * credited to two artists of one genre counts for that genre twice, as it does for each artist.
 */
export function genreTotals(
  artists: Iterable<ItemTotals>,
  genresOf: ReadonlyMap<string, readonly string[] | null>,
): Map<string, GenreTotals> {
  const out = new Map<string, GenreTotals>();
  for (const a of artists) {
    if (a.plays <= 0) continue;
    const genres = genresOf.get(a.id);
    for (const g of genres && genres.length > 0 ? new Set(genres) : [NO_GENRE]) {
      const t = out.get(g) ?? { id: g, plays: 0, listened_ms: 0, artists: 0 };
      t.plays += a.plays;
      t.listened_ms += a.listened_ms;
      t.artists += 1;
      out.set(g, t);
    }
  }
  return out;
}

// ------------------------------------------------------------- quarter-hour counters

/** A DAY row's counters: its UTC day and its quarter hours as [quarter, plays, ms] triples. */
export interface DaySlots {
  day: string;
  slots: Readonly<SlotTriples>;
}

interface LocalSlot {
  date: string;
  weekday: number;
  hour: number;
  plays: number;
  ms: number;
}

/**
 * What the local-time statistics read: the DAY-row counters of the UTC days the window touches
 * and, when an edge of the window is not a quarter hour (an instant the caller named, or now),
 * the plays between that edge and the grid.
 */
export interface SlotSource {
  days: readonly DaySlots[];
  /** The part of the window the counters answer; its edges are quarter hours. */
  grid: Window;
  edgePlays: readonly Play[];
}

export const floorQuarter = (ms: number) => Math.floor(ms / QUARTER_MS) * QUARTER_MS;
export const ceilQuarter = (ms: number) => Math.ceil(ms / QUARTER_MS) * QUARTER_MS;

/** Splits a window into the quarter-hour grid inside it and the (at most two) short edges. */
export function splitOnGrid(w: Window): { grid: Window; edges: Window[] } {
  const from = ceilQuarter(w.from);
  const to = floorQuarter(w.to);
  if (from >= to) return { grid: { from: w.from, to: w.from }, edges: [w] };
  const edges: Window[] = [];
  if (w.from < from) edges.push({ from: w.from, to: from });
  if (to < w.to) edges.push({ from: to, to: w.to });
  return { grid: { from, to }, edges };
}

const localized = new WeakMap<SlotSource, Map<string, LocalSlot[]>>();

/**
 * Every non-empty quarter hour (and edge play) inside the window, in local time; computed once
 * per source and zone (the dashboard's clock and streak read the same source).
 */
function localSlots(src: SlotSource, tz: string): LocalSlot[] {
  let byZone = localized.get(src);
  if (!byZone) {
    byZone = new Map();
    localized.set(src, byZone);
  }
  let out = byZone.get(tz);
  if (!out) {
    out = localize(src, tz);
    byZone.set(tz, out);
  }
  return out;
}

function localize(src: SlotSource, tz: string): LocalSlot[] {
  const w = src.grid;
  const out: LocalSlot[] = [];
  // Thousands of days × dozens of quarter hours: plain arithmetic, one date string per day.
  const dates = new Map<number, string>();
  const push = (shifted: number, plays: number, ms: number) => {
    const dayIndex = Math.floor(shifted / DAY_MS);
    let date = dates.get(dayIndex);
    if (date === undefined) {
      date = localParts(dayIndex * DAY_MS).date;
      dates.set(dayIndex, date);
    }
    // 1 January 1970 was a Thursday (weekday 3 when Monday is 0).
    out.push({
      date,
      weekday: (((dayIndex + 3) % 7) + 7) % 7,
      hour: Math.floor((shifted - dayIndex * DAY_MS) / 3_600_000),
      plays,
      ms,
    });
  };
  for (const d of src.days) {
    const dayStart = Date.parse(`${d.day}T00:00:00.000Z`);
    if (dayStart >= w.to || dayStart + DAY_MS <= w.from) continue;
    const offset = dayOffsets(tz, dayStart);
    const s = d.slots;
    for (let i = 0; i + 2 < s.length; i += 3) {
      const plays = s[i + 1] as number;
      const ms = s[i + 2] as number;
      if (plays === 0 && ms === 0) continue;
      const start = dayStart + (s[i] as number) * QUARTER_MS;
      // The grid's edges are quarter hours and local midnights are too (zones.ts): a slot that
      // starts inside it lies wholly inside it, and in one local hour.
      if (start < w.from || start >= w.to) continue;
      push(start + offset(start), plays, ms);
    }
  }
  for (const p of src.edgePlays) {
    if (!p.counted) continue;
    const at = Date.parse(p.listened_at);
    push(at + offsetAt(tz, at), 1, p.listened_ms);
  }
  return out;
}

export interface Clock {
  /** [weekday 0 = Monday][hour 0–23] */
  plays: number[][];
  listened_ms: number[][];
}

export function listeningClock(src: SlotSource, tz: string): Clock {
  const grid = () => Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
  const out: Clock = { plays: grid(), listened_ms: grid() };
  for (const s of localSlots(src, tz)) {
    (out.plays[s.weekday] as number[])[s.hour] = ((out.plays[s.weekday] as number[])[s.hour] ?? 0) + s.plays;
    (out.listened_ms[s.weekday] as number[])[s.hour] =
      ((out.listened_ms[s.weekday] as number[])[s.hour] ?? 0) + s.ms;
  }
  return out;
}

export type TimelineBucket = "day" | "week" | "month";

/** The local date a day/week/month bucket starts on: the date itself, its Monday, the 1st. */
export function bucketStart(date: string, bucket: TimelineBucket): string {
  if (bucket === "day") return date;
  if (bucket === "month") return `${date.slice(0, 7)}-01`;
  const weekday = (new Date(`${date}T00:00:00.000Z`).getUTCDay() + 6) % 7;
  return addDays(date, -weekday);
}

function nextBucket(start: string, bucket: TimelineBucket): string {
  if (bucket === "day") return addDays(start, 1);
  if (bucket === "week") return addDays(start, 7);
  const [y, m] = start.split("-").map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 10);
}

export interface TimelinePoint {
  start: string;
  plays: number;
  listened_ms: number;
}

/** Counted plays and listened ms per local date ("YYYY-MM-DD"). */
export type DailySeries = Map<string, [plays: number, ms: number]>;

/** The window's plays per local date: what timeline and streak are made of. */
export function dailySeries(src: SlotSource, tz: string): DailySeries {
  const out: DailySeries = new Map();
  for (const s of localSlots(src, tz)) {
    const d = out.get(s.date);
    if (d) {
      d[0] += s.plays;
      d[1] += s.ms;
    } else out.set(s.date, [s.plays, s.ms]);
  }
  return out;
}

/** Adds `b` into `a` (series of adjoining windows: a local day may straddle them). */
export function addSeries(a: DailySeries, b: DailySeries): DailySeries {
  for (const [date, [plays, ms]] of b) {
    const d = a.get(date);
    if (d) {
      d[0] += plays;
      d[1] += ms;
    } else a.set(date, [plays, ms]);
  }
  return a;
}

export function addClock(a: Clock, b: Clock): Clock {
  const sum = (x: number[][], y: number[][]) => x.map((row, w) => row.map((v, h) => v + (y[w]?.[h] ?? 0)));
  return { plays: sum(a.plays, b.plays), listened_ms: sum(a.listened_ms, b.listened_ms) };
}

/**
 * Plays per local day, ISO week or month from `firstDate` to `lastDate` (local dates of the
 * window's first and last instant), empty buckets included.
 */
export function timeline(
  src: SlotSource,
  tz: string,
  bucket: TimelineBucket,
  firstDate: string,
  lastDate: string,
): TimelinePoint[] {
  return timelineOfDays(dailySeries(src, tz), bucket, firstDate, lastDate);
}

export function timelineOfDays(
  days: DailySeries,
  bucket: TimelineBucket,
  firstDate: string,
  lastDate: string,
): TimelinePoint[] {
  const points = new Map<string, TimelinePoint>();
  const last = bucketStart(lastDate, bucket);
  for (let b = bucketStart(firstDate, bucket); b <= last; b = nextBucket(b, bucket)) {
    points.set(b, { start: b, plays: 0, listened_ms: 0 });
  }
  for (const [date, [plays, ms]] of days) {
    const p = points.get(bucketStart(date, bucket));
    if (!p) continue;
    p.plays += plays;
    p.listened_ms += ms;
  }
  return [...points.values()];
}

export interface Streak {
  days: number;
  from: string;
  to: string;
}

/** The longest run of consecutive local days with a counted play (the earliest such run). */
export function longestStreak(src: SlotSource, tz: string): Streak | null {
  return streakOfDays(dailySeries(src, tz));
}

export function streakOfDays(days: DailySeries): Streak | null {
  const active = new Set<string>();
  for (const [date, [plays]] of days) if (plays > 0) active.add(date);
  let best: Streak | null = null;
  for (const d of [...active].sort()) {
    if (active.has(addDays(d, -1))) continue; // not the start of a run
    let end = d;
    let n = 1;
    while (active.has(addDays(end, 1))) {
      end = addDays(end, 1);
      n++;
    }
    if (!best || n > best.days) best = { days: n, from: d, to: end };
  }
  return best;
}
