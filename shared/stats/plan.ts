import { EARLIEST_LISTEN_MS } from "../domain/entities.ts";
import { addDays, addMonths, DAY_MS, dateKey, localDateKey, localDayStart } from "./zones.ts";

/**
 * Which stored pieces answer a statistic over a window: the largest whole UTC buckets inside
 * it (years, then months, then days) and at most two edge fragments shorter than a day, read
 * from the plays. So a statistic costs O(distinct items × buckets) plus one day of plays at
 * most — never O(all plays) — and is exact in any time zone.
 */

export const STATS_RANGES = ["7d", "4w", "6m", "1y", "all"] as const;
export type StatsRange = (typeof STATS_RANGES)[number];

/** [from, to) in epoch ms. */
export interface Window {
  from: number;
  to: number;
}

export interface BucketPlan {
  /** Bucket names as stored: Y#2025, M#2026-03, D#2026-11-20. */
  buckets: string[];
  /** Pieces of the window outside every bucket: their plays are added. */
  fragments: Window[];
  /** Pieces of a year bucket outside the window: their plays are taken back (absent: none). */
  minus?: Window[];
}

const floorDay = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;
const ceilDay = (ms: number) => Math.ceil(ms / DAY_MS) * DAY_MS;

function nextMonth(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}
function nextYear(ms: number): number {
  return Date.UTC(new Date(ms).getUTCFullYear() + 1, 0, 1);
}

const yearStart = (ms: number) => Date.UTC(new Date(ms).getUTCFullYear(), 0, 1);

/**
 * The window's buckets. A year bucket may also reach past the window when the part outside is
 * shorter than a day, or lies at or after `until` (nothing is stored after now: an empty read):
 * the plays there are taken back (`minus`). So a local year, or this year so far, in any zone
 * is one Y bucket and two short pieces instead of ~40 month and day buckets.
 */
export function planBuckets(w: Window, opts: { until?: number } = {}): BucketPlan {
  if (w.to <= w.from) return { buckets: [], fragments: [] };
  const reaches = (end: number) => end - w.to < DAY_MS || w.to >= (opts.until ?? Number.POSITIVE_INFINITY);
  const head: string[] = [];
  const tail: string[] = [];
  const minus: Window[] = [];
  let from = w.from;
  let to = w.to;
  // The window starts less than a day into a year it covers (or reaches to its end).
  const y0 = yearStart(w.from);
  if (w.from > y0 && w.from - y0 < DAY_MS && (nextYear(y0) <= w.to || reaches(nextYear(y0)))) {
    head.push(`Y#${new Date(y0).getUTCFullYear()}`);
    minus.push({ from: y0, to: w.from });
    from = nextYear(y0);
    if (from > w.to) {
      minus.push({ from: w.to, to: from });
      from = w.to;
    }
  }
  // The window ends inside a year whose start it covers, close enough to its end.
  const yl = yearStart(w.to - 1);
  if (from < w.to && from <= yl && nextYear(yl) > w.to && reaches(nextYear(yl))) {
    tail.push(`Y#${new Date(yl).getUTCFullYear()}`);
    minus.push({ from: w.to, to: nextYear(yl) });
    to = yl;
  }
  const middle = wholeBuckets({ from, to });
  const out: BucketPlan = { buckets: [...head, ...middle.buckets, ...tail], fragments: middle.fragments };
  if (minus.length > 0) out.minus = minus;
  return out;
}

/** The largest whole UTC buckets inside the window, and at most two edge fragments. */
function wholeBuckets(w: Window): BucketPlan {
  const out: BucketPlan = { buckets: [], fragments: [] };
  if (w.to <= w.from) return out;
  const firstDay = ceilDay(w.from);
  const lastDay = floorDay(w.to);
  if (firstDay >= lastDay) {
    // No whole UTC day inside: one or two pieces, each shorter than a day.
    if (w.from < firstDay && firstDay < w.to) {
      out.fragments.push({ from: w.from, to: firstDay }, { from: firstDay, to: w.to });
    } else out.fragments.push({ from: w.from, to: w.to });
    return out;
  }
  if (w.from < firstDay) out.fragments.push({ from: w.from, to: firstDay });
  let d = firstDay;
  while (d < lastDay) {
    const date = new Date(d);
    const iso = date.toISOString();
    if (date.getUTCMonth() === 0 && date.getUTCDate() === 1 && nextYear(d) <= lastDay) {
      out.buckets.push(`Y#${iso.slice(0, 4)}`);
      d = nextYear(d);
    } else if (date.getUTCDate() === 1 && nextMonth(d) <= lastDay) {
      out.buckets.push(`M#${iso.slice(0, 7)}`);
      d = nextMonth(d);
    } else {
      out.buckets.push(`D#${iso.slice(0, 10)}`);
      d += DAY_MS;
    }
  }
  if (lastDay < w.to) out.fragments.push({ from: lastDay, to: w.to });
  return out;
}

/** The UTC days ("YYYY-MM-DD") a window touches: whose DAY rows hold its quarter hours. */
export function utcDaysTouching(w: Window): string[] {
  const out: string[] = [];
  for (let d = floorDay(w.from); d < w.to; d += DAY_MS) out.push(dateKey(d));
  return out;
}

/** What the caller asked for, already validated (see shared/http/schemas.ts). */
export interface RangeSpec {
  tz: string;
  range?: StatsRange | undefined;
  /** Epoch ms; dates were turned into local midnights by the query schema. */
  from?: number | undefined;
  to?: number | undefined;
  /**
   * A custom range up to now that is read often (the year so far): its numbers before today are
   * kept as a statistics snapshot under this name, as the named ranges' are (reader.ts). Only
   * for a range that starts before yesterday's UTC midnight (a snapshot's cutoff).
   */
  keep?: string | undefined;
}

export interface ResolvedRange {
  tz: string;
  range: StatsRange | null;
  /** The period as a person reads it; null when there is nothing to read (no plays yet). */
  window: Window | null;
  /**
   * The window aggregates are read over. Equal to `window`, except that `all` widens to whole
   * UTC years (no play lies outside them), so all-time statistics read year buckets only.
   */
  aggregateWindow: Window | null;
  /** RangeSpec's `keep`, when the range ends now. */
  keep?: string;
}

/** No play is older (shared/domain/entities.ts), so no window needs to start earlier. */
export const EPOCH_MS = EARLIEST_LISTEN_MS;

/**
 * Turns a range into instants in the caller's zone. Named ranges end now and count whole local
 * days back including today: `7d` = today and the 6 days before, `4w` = 28 days, `6m`/`1y` =
 * from the day after the same date 6 months / 1 year ago. `all` starts at the first play.
 * Explicit bounds are kept within [October 2008, now]: nothing was played outside it, and an
 * open-ended `to=2099-12-31` must not make the planner read decades of empty buckets.
 */
export function resolveRange(spec: RangeSpec, nowMs: number, firstPlayMs: number | null): ResolvedRange {
  const tz = spec.tz;
  const end = nowMs + 1; // plays that started up to and including now
  const none = { tz, range: spec.range ?? null, window: null, aggregateWindow: null };
  if (spec.range && spec.range !== "all") {
    const today = localDateKey(tz, nowMs);
    const firstDay =
      spec.range === "7d"
        ? addDays(today, -6)
        : spec.range === "4w"
          ? addDays(today, -27)
          : addDays(addMonths(today, spec.range === "6m" ? -6 : -12), 1);
    const window = { from: localDayStart(tz, firstDay), to: end };
    return { tz, range: spec.range, window, aggregateWindow: window };
  }
  // A stray row from year 1 or 9999 (stored before imports checked bounds) must not stretch
  // the period over centuries.
  if (firstPlayMs !== null) firstPlayMs = Math.min(Math.max(firstPlayMs, EPOCH_MS), nowMs);
  if (spec.range === "all" || (spec.from === undefined && spec.to === undefined)) {
    if (firstPlayMs === null) return { ...none, range: "all" };
    const window = { from: localDayStart(tz, localDateKey(tz, firstPlayMs)), to: end };
    const y0 = new Date(firstPlayMs).getUTCFullYear();
    const y1 = new Date(nowMs).getUTCFullYear() + 1;
    return {
      tz,
      range: "all",
      window,
      aggregateWindow: { from: Date.UTC(y0, 0, 1), to: Date.UTC(y1, 0, 1) },
    };
  }
  let from = spec.from === undefined ? undefined : Math.max(spec.from, EPOCH_MS);
  if (from === undefined) {
    if (firstPlayMs === null) return none;
    from = localDayStart(tz, localDateKey(tz, firstPlayMs));
  }
  const to = Math.min(spec.to ?? end, end);
  if (to <= from) return none;
  const window = { from, to };
  const out: ResolvedRange = { tz, range: null, window, aggregateWindow: window };
  if (spec.keep && to === end) out.keep = spec.keep;
  return out;
}
