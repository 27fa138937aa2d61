import type { Play } from "../domain/entities.ts";
import { keys } from "../store/table.ts";

/**
 * What one play adds to the aggregates. The single definition used by the play transaction
 * (repository.ts turns each delta into an UpdateExpression), by the rebuild (folds the plays
 * in memory) and by the bench loader — so "rebuild = incremental" holds by construction and
 * the store test checks it against DynamoDB.
 *
 * Items: `AGG#<bucket>` / `<dimension>#<id>`, buckets D#yyyy-mm-dd, M#yyyy-mm, Y#yyyy (UTC,
 * of `listened_at`: a play and its listened time belong to the moment it started) and ALL
 * (every play: range=all reads one bucket whatever the hoard's age).
 *   TOTAL#all  plays, skips, listened_ms
 *   DAY#yyyy-mm-dd  (Y buckets only) the day's plays, skips, listened_ms and p<hhmm> / ms<hhmm>:
 *              counted plays and listened ms per UTC quarter hour, so clock, timeline, streaks
 *              and local-day edges in any zone need no play reads. They sit in the year's
 *              partition so one Query per year reads a whole range of days (billed by size;
 *              a BatchGet of a thousand D-bucket items would bill a thousand keys).
 *   TRACK#id   plays, listened_ms, name, artists (names), image_url
 *   ARTIST#id  plays, listened_ms, name — each artist once per play, however often credited
 *   ALBUM#id   plays, listened_ms, name, image_url
 * Only counted plays move TRACK/ARTIST/ALBUM and the slot counters; skips only TOTAL/DAY.skips.
 * Bucket, dimension and id are the keys themselves and are not stored again: DynamoDB (and
 * DynamoDB Local even more) pays per attribute read, and all-time statistics read thousands.
 */

export type Dimension = "TOTAL" | "DAY" | "TRACK" | "ARTIST" | "ALBUM";
export const TOTAL_ID = "all";

export interface AggregateDelta {
  bucket: string;
  dimension: Dimension;
  id: string;
  /** ADD: numbers that accumulate (a missing attribute counts as 0). */
  add: Record<string, number>;
  /** SET: display fields, the latest play's values. */
  set: Record<string, unknown>;
}

/** What the play itself does not carry but the track it belongs to does. */
export interface AlbumDetails {
  name: string;
  image_url: string | null;
}

/** The bucket holding every play: all-time statistics read it alone. */
export const ALL_BUCKET = "ALL";

export const bucketsOf = (
  listenedAt: string,
): [day: string, month: string, year: string, all: typeof ALL_BUCKET] => [
  `D#${listenedAt.slice(0, 10)}`,
  `M#${listenedAt.slice(0, 7)}`,
  `Y#${listenedAt.slice(0, 4)}`,
  ALL_BUCKET,
];

/** "1430" for 14:37:12Z: the UTC quarter hour an instant falls in. */
export function slotOf(listenedAt: string): string {
  const hh = listenedAt.slice(11, 13);
  const mm = Math.floor(Number(listenedAt.slice(14, 16)) / 15) * 15;
  return `${hh}${String(mm).padStart(2, "0")}`;
}

export const SLOT_PLAYS = "p";
export const SLOT_MS = "ms";
const SLOT_ATTR = /^(p|ms)(\d{4})$/;

/** The quarter hour of the day, 0 (00:00) … 95 (23:45), of a slot name such as "1430". */
export const quarterOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 4 + Number(hhmm.slice(2)) / 15;

/**
 * Quarter-hour counters as flat triples `[quarter, plays, ms, quarter, plays, ms, …]` in quarter
 * order: clock, timeline and streak walk tens of thousands of them, without an object each.
 */
export type SlotTriples = number[];

/** Reads the slot counters back from a stored DAY row (`p1430`, `ms1430` → [58, plays, ms]). */
export function slotsOf(item: Record<string, unknown>): SlotTriples {
  const byQuarter = new Map<number, [number, number]>();
  for (const k in item) {
    const v = item[k];
    if (typeof v !== "number" || !isSlotAttribute(k)) continue;
    const plays = k.length === 5;
    const q = quarterOf(k.slice(plays ? 1 : 2));
    let slot = byQuarter.get(q);
    if (!slot) {
      slot = [0, 0];
      byQuarter.set(q, slot);
    }
    slot[plays ? 0 : 1] += v;
  }
  return [...byQuarter].sort((a, b) => a[0] - b[0]).flatMap(([q, [p, ms]]) => [q, p, ms]);
}

/** "p1430" or "ms1430" (cheaper than a regex over thousands of attributes). */
export function isSlotAttribute(k: string): boolean {
  return (k.length === 5 && k[0] === "p") || (k.length === 6 && k[0] === "m" && k[1] === "s")
    ? SLOT_ATTR.test(k)
    : false;
}

/** Distinct credited artists with an id, in credit order (a transaction may touch an item once). */
export function artistIdsOf(play: Pick<Play, "artists">): { id: string; name: string }[] {
  const seen = new Map<string, string>();
  for (const a of play.artists) if (a.id && !seen.has(a.id)) seen.set(a.id, a.name);
  return [...seen].map(([id, name]) => ({ id, name }));
}

export function playDeltas(play: Play, album: AlbumDetails | null): AggregateDelta[] {
  const counted = play.counted;
  const ms = counted ? play.listened_ms : 0;
  const counters = { plays: counted ? 1 : 0, skips: counted ? 0 : 1, listened_ms: ms };
  const played = { plays: 1, listened_ms: ms };
  const out: AggregateDelta[] = [];
  const buckets = bucketsOf(play.listened_at);
  for (const bucket of buckets) {
    out.push({ bucket, dimension: "TOTAL", id: TOTAL_ID, add: { ...counters }, set: {} });
  }
  const day: Record<string, number> = { ...counters };
  if (counted) {
    const slot = slotOf(play.listened_at);
    day[`${SLOT_PLAYS}${slot}`] = 1;
    day[`${SLOT_MS}${slot}`] = ms;
  }
  out.push({ bucket: buckets[2], dimension: "DAY", id: play.listened_at.slice(0, 10), add: day, set: {} });
  if (!counted) return out;
  const image = album?.image_url ?? null;
  for (const bucket of buckets) {
    out.push({
      bucket,
      dimension: "TRACK",
      id: play.track_id,
      add: { ...played },
      set: { name: play.name, artists: play.artists.map((a) => a.name), image_url: image },
    });
    if (play.album_id) {
      out.push({
        bucket,
        dimension: "ALBUM",
        id: play.album_id,
        add: { ...played },
        set: { name: album?.name ?? null, image_url: image },
      });
    }
  }
  // Artists last: recordPlay moves the ones beyond the transaction limit to follow-up writes.
  for (const a of artistIdsOf(play)) {
    for (const bucket of buckets) {
      out.push({ bucket, dimension: "ARTIST", id: a.id, add: { ...played }, set: { name: a.name } });
    }
  }
  return out;
}

/** A stored aggregate item exactly as DynamoDB holds it (keys included). */
export type AggregateRecord = Record<string, unknown> & { pk: string; sk: string };

/** One item's deltas merged: numbers summed, display fields of the play that started last. */
export interface MergedDelta extends AggregateDelta {
  /** `listened_at` of the play the SET fields came from. */
  setAt: string;
}

/**
 * Applies deltas in memory with DynamoDB's semantics (ADD to a missing number starts at 0;
 * SET overwrites). SET fields keep the values of the play that started last, which equals
 * what the play transactions leave when plays are recorded in the order they happened.
 * `items()` are the records the rebuild writes whole; `deltas()` the merged updates a bulk
 * import applies on top of what the table holds.
 */
export function createAggregateFold() {
  const merged = new Map<string, MergedDelta>();
  return {
    add(play: Play, album: AlbumDetails | null): void {
      for (const d of playDeltas(play, album)) this.apply(d, play.listened_at);
    },
    apply(d: AggregateDelta, at: string): void {
      const k = `${d.bucket}|${d.dimension}|${d.id}`;
      const m = merged.get(k);
      if (!m) {
        merged.set(k, { ...d, add: { ...d.add }, set: { ...d.set }, setAt: at });
        return;
      }
      for (const [name, v] of Object.entries(d.add)) m.add[name] = (m.add[name] ?? 0) + v;
      if (Object.keys(d.set).length > 0 && m.setAt <= at) {
        Object.assign(m.set, d.set);
        m.setAt = at;
      }
    },
    deltas(): MergedDelta[] {
      return [...merged.values()];
    },
    items(): AggregateRecord[] {
      return [...merged.values()].map((m) => ({
        ...keys.aggregate(m.bucket, m.dimension, m.id),
        ...m.add,
        ...m.set,
      }));
    },
    get size() {
      return merged.size;
    },
  };
}
