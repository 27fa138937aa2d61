import type { Play } from "../domain/entities.ts";
import { keys } from "../store/table.ts";

/**
 * What one play adds to the aggregates. The single definition used by the play transaction
 * (repository.ts turns each delta into an UpdateExpression), by the rebuild (folds the plays
 * in memory) and by the bench loader — so "rebuild = incremental" holds by construction and
 * the store test checks it against DynamoDB.
 *
 * Items: `AGG#<bucket>` / `<dimension>#<id>`, buckets D#yyyy-mm-dd, M#yyyy-mm, Y#yyyy (UTC,
 * of `listened_at`: a play and its listened time belong to the moment it started).
 *   TOTAL#all  plays, skips, listened_ms; on D buckets also p<hhmm> / ms<hhmm>: counted plays
 *              and listened ms per UTC quarter hour, so clock, timeline and local-day edges in
 *              any zone need no play reads.
 *   TRACK#id   plays, listened_ms (+ skips 0), name, artists (names), image_url
 *   ARTIST#id  plays, listened_ms, name — each artist once per play, however often credited
 *   ALBUM#id   plays, listened_ms, name, image_url
 * Only counted plays move TRACK/ARTIST/ALBUM and the slot counters; skips only TOTAL.skips.
 */

export type Dimension = "TOTAL" | "TRACK" | "ARTIST" | "ALBUM";
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

export const bucketsOf = (listenedAt: string): [day: string, month: string, year: string] => [
  `D#${listenedAt.slice(0, 10)}`,
  `M#${listenedAt.slice(0, 7)}`,
  `Y#${listenedAt.slice(0, 4)}`,
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

/** Reads the slot counters back from a stored D-bucket TOTAL item: "1430" → counts. */
export function slotsOf(item: Record<string, unknown>): Record<string, { plays: number; ms: number }> {
  const out: Record<string, { plays: number; ms: number }> = {};
  for (const [k, v] of Object.entries(item)) {
    const m = SLOT_ATTR.exec(k);
    if (!m?.[1] || !m[2] || typeof v !== "number") continue;
    out[m[2]] ??= { plays: 0, ms: 0 };
    const slot = out[m[2]] as { plays: number; ms: number };
    if (m[1] === SLOT_PLAYS) slot.plays += v;
    else slot.ms += v;
  }
  return out;
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
  const out: AggregateDelta[] = [];
  const buckets = bucketsOf(play.listened_at);
  for (const bucket of buckets) {
    const total: Record<string, number> = { ...counters };
    if (counted && bucket.startsWith("D#")) {
      const slot = slotOf(play.listened_at);
      total[`${SLOT_PLAYS}${slot}`] = 1;
      total[`${SLOT_MS}${slot}`] = ms;
    }
    out.push({ bucket, dimension: "TOTAL", id: TOTAL_ID, add: total, set: {} });
  }
  if (!counted) return out;
  const image = album?.image_url ?? null;
  for (const bucket of buckets) {
    out.push({
      bucket,
      dimension: "TRACK",
      id: play.track_id,
      add: { ...counters },
      set: { name: play.name, artists: play.artists.map((a) => a.name), image_url: image },
    });
    if (play.album_id) {
      out.push({
        bucket,
        dimension: "ALBUM",
        id: play.album_id,
        add: { ...counters },
        set: { name: album?.name ?? null, image_url: image },
      });
    }
  }
  // Artists last: recordPlay moves the ones beyond the transaction limit to follow-up writes.
  for (const a of artistIdsOf(play)) {
    for (const bucket of buckets) {
      out.push({ bucket, dimension: "ARTIST", id: a.id, add: { ...counters }, set: { name: a.name } });
    }
  }
  return out;
}

/** A stored aggregate item exactly as DynamoDB holds it (keys included). */
export type AggregateRecord = Record<string, unknown> & { pk: string; sk: string };

/**
 * Applies deltas in memory with DynamoDB's semantics (ADD to a missing number starts at 0;
 * SET overwrites). SET fields keep the values of the play that started last, which equals
 * what the play transactions leave when plays are recorded in the order they happened.
 */
export function createAggregateFold() {
  const items = new Map<string, AggregateRecord>();
  const setAt = new Map<string, string>();
  return {
    add(play: Play, album: AlbumDetails | null): void {
      for (const d of playDeltas(play, album)) this.apply(d, play.listened_at);
    },
    apply(d: AggregateDelta, at: string): void {
      const key = keys.aggregate(d.bucket, d.dimension, d.id);
      const k = `${key.pk}|${key.sk}`;
      let item = items.get(k);
      if (!item) {
        item = { ...key, bucket: d.bucket, dimension: d.dimension, id: d.id };
        items.set(k, item);
      }
      for (const [name, v] of Object.entries(d.add)) item[name] = ((item[name] as number | undefined) ?? 0) + v;
      if (Object.keys(d.set).length > 0 && (setAt.get(k) ?? "") <= at) {
        Object.assign(item, d.set);
        setAt.set(k, at);
      }
    },
    items(): AggregateRecord[] {
      return [...items.values()];
    },
    get size() {
      return items.size;
    },
  };
}
