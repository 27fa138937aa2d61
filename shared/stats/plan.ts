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
  fragments: Window[];
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

export function planBuckets(w: Window): BucketPlan {
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
  return { tz, range: null, window, aggregateWindow: window };
}
