import { randomUUID } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import type { Play } from "../domain/entities.ts";
import type { SnapshotPart, StatsValidity, Store } from "../store/port.ts";
import { ALL_BUCKET, type Dimension } from "./aggregates.ts";
import {
  type Clock,
  type GenreTotals,
  type ItemTotals,
  mergeDimension,
  mergeTotals,
  NO_GENRE,
  type Totals,
} from "./compute.ts";
import { DAY_MS, dateKey } from "./zones.ts";

/**
 * Statistics snapshots: what a named range (7d, 4w, 6m, 1y, all) adds up to before a cutoff
 * (a UTC midnight), so a read costs the snapshot plus the plays since the cutoff — not every
 * item of every bucket the range spans (thousands at all-time, tens of thousands over a year of
 * months and days).
 *
 * A snapshot holds, per dimension (TRACK, ARTIST, ALBUM), every item with its plays and listened
 * time over [range start, cutoff), plus the range's totals and (ARTIST) its genre totals; and per
 * zone asked, the plays per local date and the listening clock (timeline, streak, clock). All
 * items, not a top-K: distinct counts, genres' artist counts and any `limit` need to know whether
 * an item already had a play, and an exact merge then needs no bound and no fallback. A read
 * adds the plays since the cutoff (a Query of one partition, at most about a day of listens)
 * with the same playDeltas the play transaction applies, so the answer equals the full
 * computation. Stored gzip'd, in parts under DynamoDB's 400 KB item limit.
 *
 * Valid while two things are unchanged since it was built (read together in one transaction):
 * - `before`: the ALL TOTAL minus the TOTALs of the days from the cutoff on, i.e. the plays,
 *   skips and listened time of every listen before the cutoff. A listen stored late (backfill,
 *   catch-up, an import of old plays) or deleted changes it. New live plays start after the
 *   cutoff: they change ALL and today's TOTAL alike, so they never invalidate — they are the delta.
 * - `generation`: a counter bumped after every write that changes past counters where no TOTAL
 *   shows it (import resolution moving plays between artists and albums, a rebuild repairing
 *   items, an artist's genres changing) or that could restore an earlier TOTAL (a deletion),
 *   and after each import chunk (its parts are written one after another).
 * A build reads both before and after computing and stores only when they did not move.
 *
 * Built lazily by the first read that finds none valid, and by the hourly job for the zones
 * asked before (so the first read of a day, or after a listen, finds one).
 */

export const SNAPSHOT_DIMENSIONS = ["TRACK", "ARTIST", "ALBUM"] as const;
export type SnapshotDimension = (typeof SNAPSHOT_DIMENSIONS)[number] & Exclude<Dimension, "TOTAL" | "DAY">;

/** An item's plays and listened ms over the snapshot's window. */
export type Counted = [plays: number, ms: number];

export interface SnapshotHead {
  /** Epoch ms (UTC midnight): the snapshot covers plays that started before it. */
  cutoff: number;
  before: string;
  generation: number;
  build: string;
  parts: number;
  totals: Totals;
  /** ARTIST only: genre totals over the window, with the genres of the artists then. */
  genres?: GenreTotals[];
  /** Slots (per zone): the listening clock over the window; the items are its local days. */
  clock?: Clock;
  /**
   * A dimension derived from the tracks and another input (the mood: the emotion vectors,
   * shared/lyrics/mood.ts): the TRACK build it was computed from and that input's version. It
   * is valid while both are current, so it needs no validity of its own.
   */
  derived?: { from: string; inputs: string };
}

export interface DimensionSnapshot {
  head: SnapshotHead;
  items: Map<string, Counted>;
}

/** Kept a few days past its cutoff: an older one is rebuilt anyway (its delta would be long). */
const TTL_DAYS = 3;
/** Raw JSON per part: gzip'd it stays far below DynamoDB's 400 KB item limit. */
const PART_BYTES = 300_000;

export const floorDay = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;

/** The UTC days whose TOTALs `before` subtracts: the cutoff's to the day after now's (imports
 * accept listens up to a day ahead). */
export function daysFrom(cutoff: number, nowMs: number): string[] {
  const out: string[] = [];
  for (let d = cutoff; d <= floorDay(nowMs) + DAY_MS; d += DAY_MS) out.push(dateKey(d));
  return out;
}

/**
 * Plays, skips and listened ms of every listen before `cutoff`, from a validity read over
 * `daysFrom(cutoff, now)` (or any superset of days); null without an ALL bucket.
 */
export function beforeFingerprint(v: StatsValidity, cutoff: number): string | null {
  if (!v.all) return null;
  const t = mergeTotals([v.all], []);
  const first = dateKey(cutoff);
  for (const d of v.days) {
    // D#yyyy-mm-dd: from the cutoff's day on.
    if (d.bucket.slice(2) < first) continue;
    t.plays -= d.plays;
    t.skips -= d.skips;
    t.listened_ms -= d.listened_ms;
  }
  return `${t.plays}/${t.skips}/${t.listened_ms}`;
}

export function encodeParts(head: Omit<SnapshotHead, "parts" | "build">, items: Map<string, Counted>) {
  const build = randomUUID();
  const chunks: string[] = [];
  let cur: (string | number)[] = [];
  let bytes = 0;
  for (const [id, [plays, ms]] of items) {
    cur.push(id, plays, ms);
    bytes += id.length + 24;
    if (bytes >= PART_BYTES) {
      chunks.push(JSON.stringify(cur));
      cur = [];
      bytes = 0;
    }
  }
  if (cur.length > 0 || chunks.length === 0) chunks.push(JSON.stringify(cur));
  const full: SnapshotHead = { ...head, build, parts: chunks.length };
  const parts: SnapshotPart[] = chunks.map((c, n) => ({
    n,
    build,
    ...(n === 0 ? { head: JSON.stringify(full) } : {}),
    body: gzipSync(c),
  }));
  return { head: full, parts };
}

/** The parts of one build, whole; null when missing or torn (parts of two builds). */
export function decodeParts(parts: readonly SnapshotPart[]): DimensionSnapshot | null {
  const first = parts[0];
  if (!first?.head || first.n !== 0) return null;
  const head = JSON.parse(first.head) as SnapshotHead;
  const mine = parts.filter((p) => p.build === head.build);
  if (mine.length !== head.parts || mine.some((p, i) => p.n !== i)) return null;
  const items = new Map<string, Counted>();
  for (const p of mine) {
    const flat = JSON.parse(gunzipSync(p.body).toString("utf8")) as (string | number)[];
    for (let i = 0; i + 2 < flat.length; i += 3) {
      items.set(flat[i] as string, [flat[i + 1] as number, flat[i + 2] as number]);
    }
  }
  return { head, items };
}

/** An item map (numbers only) as a snapshot stores it. */
export function countedOf(items: Map<string, ItemTotals>): Map<string, Counted> {
  const out = new Map<string, Counted>();
  for (const t of items.values())
    if (t.plays !== 0 || t.listened_ms !== 0) out.set(t.id, [t.plays, t.listened_ms]);
  return out;
}

/**
 * The snapshot's items plus the plays since its cutoff: every item of the range with exact
 * numbers. Display fields are read from the ALL bucket, which holds every played item.
 */
export function withDelta(
  dimension: SnapshotDimension,
  items: Map<string, Counted>,
  delta: readonly Play[],
): Map<string, ItemTotals> {
  const out = new Map<string, ItemTotals>();
  for (const [id, [plays, ms]] of items) {
    out.set(id, {
      id,
      plays,
      listened_ms: ms,
      name: null,
      artists: [],
      image_url: null,
      detailsBucket: ALL_BUCKET,
    });
  }
  for (const d of mergeDimension(dimension, [], delta).values()) {
    const t = out.get(d.id);
    if (t) {
      t.plays += d.plays;
      t.listened_ms += d.listened_ms;
    } else out.set(d.id, { ...d, detailsBucket: ALL_BUCKET });
  }
  return out;
}

/**
 * Genre totals of the snapshot plus the artists the delta played: their plays go to their
 * genres (read now: a genre change bumps the generation, so they are the snapshot's too), and
 * an artist with no play before the cutoff is one more artist of each.
 */
export function genresWithDelta(
  genres: readonly GenreTotals[],
  before: Map<string, Counted>,
  delta: Map<string, ItemTotals>,
  genresOf: ReadonlyMap<string, readonly string[] | null>,
): Map<string, GenreTotals> {
  const out = new Map(genres.map((g) => [g.id, { ...g }]));
  for (const a of delta.values()) {
    // Delta items hold counted plays only (mergeDimension), so each has at least one.
    const was = before.get(a.id);
    const list = genresOf.get(a.id);
    for (const g of list && list.length > 0 ? new Set(list) : [NO_GENRE]) {
      const t = out.get(g) ?? { id: g, plays: 0, listened_ms: 0, artists: 0 };
      t.plays += a.plays;
      t.listened_ms += a.listened_ms;
      // genreTotals counts an artist under a genre once its plays are above 0.
      if (!was || was[0] <= 0) t.artists += 1;
      out.set(g, t);
    }
  }
  return out;
}

/**
 * The local-time half of a range in one zone: its items are the plays per local date (timeline
 * and streak), its head holds the clock. Per zone and start: local dates and hours depend on both.
 */
export const slotsDimension = (tz: string, fromMs: number) => `SLOTS@${tz}@${new Date(fromMs).toISOString()}`;

export async function loadSnapshot(
  store: Store,
  key: string,
  dimension: string,
): Promise<DimensionSnapshot | null> {
  return decodeParts(await store.queryStatsSnapshot(key, dimension));
}

export async function saveSnapshot(
  store: Store,
  key: string,
  dimension: string,
  head: Omit<SnapshotHead, "parts" | "build">,
  items: Map<string, Counted>,
): Promise<void> {
  const { parts } = encodeParts(head, items);
  await store.putStatsSnapshot(key, dimension, parts, Math.floor((head.cutoff + TTL_DAYS * DAY_MS) / 1000));
}
