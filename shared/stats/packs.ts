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
    if (whole.length === 0) return { slots: [], unpacked: [] };
    const years = [...new Set(whole.map((m) => m.slice(0, 4)))];
    const [totals, packs] = await Promise.all([
      store.batchGetAggregates(whole.map(monthTotalRef)),
      Promise.all(years.map((y) => store.queryDayPacks(y))),
    ]);
    const totalOf = new Map(totals.map((t) => [t.bucket.slice(2), totalsFingerprint([t])]));
    const packOf = new Map(packs.flat().map((p) => [p.month, p]));
    const slots: DaySlots[] = [];
    const unpacked: string[] = [];
    for (const m of whole) {
      const total = totalOf.get(m);
      const pack = packOf.get(m);
      if (total !== undefined && pack && pack.of === total) slots.push(...decodeDays(pack.days));
      // No TOTAL: nothing was played, or an import batch wrote the DAY rows before it; the rows say.
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
  const [totals, packs] = await Promise.all([
    store.batchGetAggregates(months.map(monthTotalRef)),
    Promise.all(years.map((y) => store.queryDayPacks(y))),
  ]);
  const packOf = new Map(packs.flat().map((p) => [p.month, p.of]));
  const stale = totals
    .filter((t) => opts.force || packOf.get(t.bucket.slice(2)) !== totalsFingerprint([t]))
    .map((t) => t.bucket.slice(2));
  const done = await mapLimit(stale, 4, (month) => packMonth(store, month));
  return { months: months.length, packed: done.filter(Boolean).length };
}

/** Packs one month; false when its DAY rows do not add up to its TOTAL right now. */
async function packMonth(store: Store, month: string): Promise<boolean> {
  const [total] = await store.batchGetAggregates([monthTotalRef(month)], { consistent: true });
  if (!total) return false;
  const rows = await store.queryDays(month.slice(0, 4), `${month}-01`, `${month}-31`, { consistent: true });
  // The play transaction moves TOTAL and DAY rows together, an import batch in separate parts:
  // between two parts they disagree, and a pack taken then would be wrong for good.
  const fingerprint = totalsFingerprint([total]);
  if (totalsFingerprint(rows.map((r) => ({ ...r, dimension: "TOTAL" }))) !== fingerprint) return false;
  await store.putDayPack({ month, of: fingerprint, days: encodeDays(rows) });
  return true;
}
