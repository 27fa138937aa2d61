import { gunzipSync, gzipSync } from "node:zlib";
import { mapLimit } from "../concurrency.ts";
import type { Aggregate, Store } from "../store/port.ts";
import { type SlotTriples, TOTAL_ID } from "./aggregates.ts";
import { type DaySlots, mergeTotals } from "./compute.ts";
import { addDays, addMonths } from "./zones.ts";

/**
 * Month packs: a closed UTC month's DAY rows (the quarter-hour counters behind clock, timeline
 * and streak) copied into one item, so those statistics over years read a few dozen items
 * instead of a thousand rows of up to 192 counters each (DynamoDB Local parses every attribute;
 * DynamoDB bills the same bytes either way).
 *
 * Derived data, never the truth: the play transaction keeps maintaining the DAY rows. A pack
 * carries its month's TOTAL (plays/skips/listened_ms) as it was when packed, and the reader uses
 * it only while that TOTAL is unchanged — any listen recorded in the month since (backfill,
 * import, a late poll) changes the TOTAL, and the reader reads the month's DAY rows instead until
 * the month is packed again. Packing reads the TOTAL and then the DAY rows, both strongly
 * consistent, and packs only when the rows add up to the TOTAL (an import batch moves them in
 * separate parts), so a pack never claims a TOTAL its rows do not match.
 *
 * Beside each month pack, a track pack (same fingerprint): every UTC day's counted plays per
 * track, the D buckets' TRACK items, so the year in review's most repeated day reads a year of
 * them in one Query instead of 365 (about 25 bytes a track and day before gzip: a month of 3,000
 * plays is some 40 KB, far from the 400 KB item limit; a month that would not fit is not packed
 * and its days are read from the D buckets). A month packed before track packs existed has no
 * track pack and is packed again; until then its days are read from the D buckets.
 *
 * Packed by the hourly job, after an import and after a rebuild (`packClosedMonths`).
 */

/** A TOTAL as plays/skips/listened_ms: equal strings, same listens (listens are only ever added). */
export function totalsFingerprint(rows: readonly Aggregate[]): string {
  const t = mergeTotals(rows, []);
  return `${t.plays}/${t.skips}/${t.listened_ms}`;
}

/** `{"2025-03-01":[37,3,612000,…],…}`: the days' triples; JSON.parse is the fastest decoder here. */
export function encodeDays(rows: readonly Aggregate[]): string {
  const out: Record<string, SlotTriples> = {};
  for (const r of rows) if (r.dimension === "DAY") out[r.id] = r.slots ?? [];
  return JSON.stringify(out);
}

export function decodeDays(packed: string): DaySlots[] {
  const raw = JSON.parse(packed) as Record<string, SlotTriples>;
  const out: DaySlots[] = [];
  for (const day in raw) out.push({ day, slots: raw[day] as SlotTriples });
  return out;
}

/** A month's counted plays per UTC day and track: `{"2025-03-01":{"<track id>":3,…},…}`. */
export type TrackDays = Map<string, Map<string, number>>;

export function encodeTrackDays(days: TrackDays): Uint8Array {
  const out: Record<string, Record<string, number>> = {};
  for (const [day, tracks] of days) out[day] = Object.fromEntries(tracks);
  return gzipSync(JSON.stringify(out));
}

export function decodeTrackDays(body: Uint8Array): TrackDays {
  const raw = JSON.parse(gunzipSync(body).toString("utf8")) as Record<string, Record<string, number>>;
  return new Map(Object.entries(raw).map(([day, tracks]) => [day, new Map(Object.entries(tracks))]));
}

/** A track pack must leave room in its item (400 KB with keys and fingerprint). */
const MAX_TRACK_PACK_BYTES = 380_000;

const daysInMonth = (month: string) =>
  new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 0)).getUTCDate();

/** "2025-11" … "2026-02": every month from `first` to `last`, both included. */
export function monthsBetween(first: string, last: string): string[] {
  const out: string[] = [];
  for (let m = first; m <= last; m = addMonths(`${m}-01`, 1).slice(0, 7)) out.push(m);
  return out;
}

const monthTotalRef = (month: string) => ({
  bucket: `M#${month}`,
  dimension: "TOTAL" as const,
  id: TOTAL_ID,
});

/** Contiguous runs of days (sorted) within one year: one Query each. */
function runsOf(days: readonly string[]): [year: string, from: string, to: string][] {
  const runs: [string, string, string][] = [];
  for (const d of days) {
    const run = runs.at(-1);
    if (run && run[0] === d.slice(0, 4) && addDays(run[2], 1) === d) run[2] = d;
    else runs.push([d.slice(0, 4), d, d]);
  }
  return runs;
}

async function queryRuns(store: Store, days: readonly string[]): Promise<DaySlots[]> {
  const rows = await Promise.all(runsOf(days).map(([y, a, b]) => store.queryDays(y, a, b)));
  return rows.flat().map((r) => ({ day: r.id, slots: r.slots ?? [] }));
}

/**
 * The packs of the given months that still hold: their fingerprint is the month's TOTAL now. A
 * month with no TOTAL had no listen, or an import batch wrote its rows before it: the rows say.
 */
async function validPacks<P extends { month: string; of: string }>(
  store: Store,
  months: readonly string[],
  queryYear: (year: string, from: string, to: string) => Promise<P[]>,
): Promise<Map<string, P>> {
  if (months.length === 0) return new Map();
  const years = new Map<string, string[]>();
  for (const m of months) years.set(m.slice(0, 4), [...(years.get(m.slice(0, 4)) ?? []), m]);
  const [totals, packs] = await Promise.all([
    store.batchGetAggregates(months.map(monthTotalRef)),
    Promise.all([...years].map(([y, ms]) => queryYear(y, ms[0] as string, ms.at(-1) as string))),
  ]);
  const totalOf = new Map(totals.map((t) => [t.bucket.slice(2), totalsFingerprint([t])]));
  const out = new Map<string, P>();
  for (const p of packs.flat()) if (totalOf.get(p.month) === p.of) out.set(p.month, p);
  return out;
}

/**
 * Counted plays per track of each given UTC day (sorted "YYYY-MM-DD"): from the months' track
 * packs while they hold, else from the day's D bucket (this month's days, unpacked months).
 */
export async function readTrackDays(store: Store, days: readonly string[]): Promise<TrackDays> {
  const months = [...new Set(days.map((d) => d.slice(0, 7)))];
  const packs = await validPacks(store, months, (y, a, b) => store.queryTrackDayPacks(y, a, b));
  const out: TrackDays = new Map();
  const unpacked: string[] = [];
  const decoded = new Map(
    [...packs].flatMap(([m, p]) => (p.body ? [[m, decodeTrackDays(p.body)] as const] : [])),
  );
  for (const d of days) {
    const month = decoded.get(d.slice(0, 7));
    if (month) out.set(d, month.get(d) ?? new Map());
    else unpacked.push(d);
  }
  await mapLimit(unpacked, 16, async (d) => {
    const rows = await store.queryAggregates(`D#${d}`, "TRACK", { numbersOnly: true });
    out.set(d, new Map(rows.filter((r) => r.plays > 0).map((r) => [r.id, r.plays])));
  });
  return out;
}

/**
 * The counters of the given UTC days (sorted "YYYY-MM-DD"): whole months from their packs while
 * the packs hold, every other day from its DAY row. Months with no TOTAL had no listen at all.
 */
export async function readDaySlots(store: Store, days: readonly string[]): Promise<DaySlots[]> {
  const byMonth = new Map<string, string[]>();
  for (const d of days) {
    const m = d.slice(0, 7);
    const list = byMonth.get(m);
    if (list) list.push(d);
    else byMonth.set(m, [d]);
  }
  const whole = [...byMonth].filter(([m, ds]) => ds.length === daysInMonth(m)).map(([m]) => m);
  const wholeSet = new Set(whole);
  const partial = days.filter((d) => !wholeSet.has(d.slice(0, 7)));
  const fromPacks = async (): Promise<{ slots: DaySlots[]; unpacked: string[] }> => {
    const packs = await validPacks(store, whole, (y) => store.queryDayPacks(y));
    const slots: DaySlots[] = [];
    const unpacked: string[] = [];
    for (const m of whole) {
      const pack = packs.get(m);
      if (pack) slots.push(...decodeDays(pack.days));
      else unpacked.push(...(byMonth.get(m) ?? []));
    }
    return { slots, unpacked };
  };
  const [packed, rows] = await Promise.all([fromPacks(), queryRuns(store, partial)]);
  const rest = packed.unpacked.length > 0 ? await queryRuns(store, packed.unpacked) : [];
  return [...packed.slots, ...rows, ...rest];
}

export interface PackResult {
  /** Closed months from the first listen to last month. */
  months: number;
  packed: number;
}

/**
 * Packs every closed UTC month (before the current one) whose pack is missing or no longer
 * matches its TOTAL; `force` repacks all (after a rebuild, which may have repaired DAY rows).
 */
export async function packClosedMonths(
  store: Store,
  nowMs: number,
  opts: { force?: boolean } = {},
): Promise<PackResult> {
  const first = await store.oldestPlay();
  const lastClosed = addMonths(`${new Date(nowMs).toISOString().slice(0, 7)}-01`, -1).slice(0, 7);
  const months = first ? monthsBetween(first.listened_at.slice(0, 7), lastClosed) : [];
  if (months.length === 0) return { months: 0, packed: 0 };
  const years = [...new Set(months.map((m) => m.slice(0, 4)))];
  const [totals, packs, trackPacks] = await Promise.all([
    store.batchGetAggregates(months.map(monthTotalRef)),
    Promise.all(years.map((y) => store.queryDayPacks(y))),
    Promise.all(years.map((y) => store.queryTrackDayPacks(y, `${y}-01`, `${y}-12`))),
  ]);
  const packOf = new Map(packs.flat().map((p) => [p.month, p.of]));
  const trackPackOf = new Map(trackPacks.flat().map((p) => [p.month, p.of]));
  // A month packed before track packs existed has none: packed again.
  const stale = totals
    .filter((t) => {
      const m = t.bucket.slice(2);
      const of = totalsFingerprint([t]);
      return opts.force || packOf.get(m) !== of || trackPackOf.get(m) !== of;
    })
    .map((t) => t.bucket.slice(2));
  const done = await mapLimit(stale, 4, (month) => packMonth(store, month));
  return { months: months.length, packed: done.filter(Boolean).length };
}

/**
 * Packs one month (its DAY rows, and its days' TRACK items when they fit); false when the rows
 * do not add up to its TOTAL right now.
 */
async function packMonth(store: Store, month: string): Promise<boolean> {
  const [total] = await store.batchGetAggregates([monthTotalRef(month)], { consistent: true });
  if (!total) return false;
  const days = Array.from(
    { length: daysInMonth(month) },
    (_, i) => `${month}-${String(i + 1).padStart(2, "0")}`,
  );
  const [rows, tracks] = await Promise.all([
    store.queryDays(month.slice(0, 4), `${month}-01`, `${month}-31`, { consistent: true }),
    mapLimit(days, 8, (d) =>
      store.queryAggregates(`D#${d}`, "TRACK", { numbersOnly: true, consistent: true }),
    ),
  ]);
  // The play transaction moves TOTAL, DAY rows and TRACK items together, an import batch in
  // separate parts: between two parts they disagree, and a pack taken then would be wrong for good.
  const fingerprint = totalsFingerprint([total]);
  if (totalsFingerprint(rows.map((r) => ({ ...r, dimension: "TOTAL" }))) !== fingerprint) return false;
  const counted = tracks.flat().filter((r) => r.plays > 0);
  const t = mergeTotals([total], []);
  const sum = counted.reduce((a, r) => ({ plays: a.plays + r.plays, ms: a.ms + r.listened_ms }), {
    plays: 0,
    ms: 0,
  });
  if (sum.plays !== t.plays || sum.ms !== t.listened_ms) return false;
  const byDay: TrackDays = new Map();
  for (const r of counted) {
    const day = r.bucket.slice(2);
    byDay.set(day, (byDay.get(day) ?? new Map()).set(r.id, r.plays));
  }
  const body = encodeTrackDays(byDay);
  await Promise.all([
    // Too big for an item: marked so (not packed again each hour), its days read from D buckets.
    store.putTrackDayPack({
      month,
      of: fingerprint,
      body: body.byteLength <= MAX_TRACK_PACK_BYTES ? body : null,
    }),
    store.putDayPack({ month, of: fingerprint, days: encodeDays(rows) }),
  ]);
  return true;
}
