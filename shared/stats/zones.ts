/**
 * Time-zone arithmetic for the statistics, on top of Intl (no tz database of our own).
 *
 * Every UTC offset in use since Spotify exists is a multiple of 15 minutes and every
 * transition happens on a quarter hour, so local day boundaries fall on the UTC quarter-hour
 * grid. That is what lets quarter-hour counters (and whole UTC buckets plus plays for the
 * edges) answer any range in any zone exactly.
 */

export const DAY_MS = 86_400_000;
export const QUARTER_MS = 900_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: tz,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(tz, f);
  }
  return f;
}

/**
 * An IANA zone name Intl knows ("Europe/Paris", "UTC"). Offset strings such as "+05:30",
 * which newer engines also accept, are refused: the caller names a place, not an offset.
 */
export function isTimeZone(tz: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The canonical spelling Intl uses ("utc" → "UTC", "asia/calcutta" → "Asia/Calcutta"). */
export function canonicalTimeZone(tz: string): string {
  return new Intl.DateTimeFormat("en-US", { timeZone: tz }).resolvedOptions().timeZone;
}

/** Local time minus UTC at instant `ms`, in milliseconds (e.g. +19_800_000 in Asia/Kolkata). */
export function offsetAt(tz: string, ms: number): number {
  const at = Math.floor(ms / 1000) * 1000;
  const p: Record<string, number> = {};
  for (const part of formatter(tz).formatToParts(at)) {
    if (part.type !== "literal") p[part.type] = Number(part.value);
  }
  const local = Date.UTC(
    p.year ?? 0,
    (p.month ?? 1) - 1,
    p.day ?? 1,
    p.hour ?? 0,
    p.minute ?? 0,
    p.second ?? 0,
  );
  return local - at;
}

/** "YYYY-MM-DD" of a UTC-shifted instant (pass `ms + offset` for a local date). */
export function dateKey(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function localDateKey(tz: string, ms: number): string {
  return dateKey(ms + offsetAt(tz, ms));
}

/** Calendar arithmetic on "YYYY-MM-DD" (no zone involved). */
export function addDays(key: string, days: number): string {
  return dateKey(Date.parse(`${key}T00:00:00.000Z`) + days * DAY_MS);
}

/** Same day-of-month `months` later (clamped: 31 Aug − 6 months = 28/29 Feb). */
export function addMonths(key: string, months: number): string {
  const [y, m, d] = key.split("-").map(Number) as [number, number, number];
  const first = new Date(Date.UTC(y, m - 1 + months, 1));
  const last = new Date(Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + 1, 0)).getUTCDate();
  return dateKey(Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), Math.min(d, last)));
}

/**
 * The first instant of local date `key` in `tz`: the earliest quarter hour whose local date is
 * `key` or later (a day whose midnight falls in a DST gap starts at the transition).
 */
export function localDayStart(tz: string, key: string): number {
  const utcMidnight = Date.parse(`${key}T00:00:00.000Z`);
  // Offsets lie within −12 h … +14 h; search a window that surely contains the answer.
  let lo = (utcMidnight - 15 * 3_600_000) / QUARTER_MS;
  let hi = (utcMidnight + 13 * 3_600_000) / QUARTER_MS;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (localDateKey(tz, mid * QUARTER_MS) >= key) hi = mid;
    else lo = mid + 1;
  }
  return lo * QUARTER_MS;
}

/**
 * The offset function for one UTC day: two Intl calls, plus a short search on the (rare) day
 * of a transition. Clock and timeline map every quarter-hour counter through this.
 */
export function dayOffsets(tz: string, utcDayStart: number): (ms: number) => number {
  const key = `${tz} ${utcDayStart}`;
  let f = dayOffsetCache.get(key);
  if (!f) {
    // Past days' offsets never change: a warm process maps a year of days without Intl.
    if (dayOffsetCache.size >= DAY_OFFSET_CACHE_MAX) dayOffsetCache.clear();
    f = computeDayOffsets(tz, utcDayStart);
    dayOffsetCache.set(key, f);
  }
  return f;
}

const DAY_OFFSET_CACHE_MAX = 50_000;
const dayOffsetCache = new Map<string, (ms: number) => number>();

function computeDayOffsets(tz: string, utcDayStart: number): (ms: number) => number {
  const first = offsetAt(tz, utcDayStart);
  const last = offsetAt(tz, utcDayStart + DAY_MS - 1);
  if (first === last) return () => first;
  // One transition in the day: find the first quarter hour already on the new offset.
  let lo = 0;
  let hi = DAY_MS / QUARTER_MS - 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(tz, utcDayStart + mid * QUARTER_MS) === last) hi = mid;
    else lo = mid + 1;
  }
  const switchAt = utcDayStart + lo * QUARTER_MS;
  return (ms) => (ms < switchAt ? first : last);
}

/** Local calendar facts of a UTC-shifted instant (`ms + offset`). Weekday 0 = Monday. */
export function localParts(shifted: number): { date: string; weekday: number; hour: number } {
  const d = new Date(shifted);
  return { date: d.toISOString().slice(0, 10), weekday: (d.getUTCDay() + 6) % 7, hour: d.getUTCHours() };
}
