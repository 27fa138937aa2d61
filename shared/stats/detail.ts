import { type Artist, EARLIEST_LISTEN_MS, type Play, type Track } from "../domain/entities.ts";
import type { Aggregate, Store } from "../store/port.ts";
import { artistIdsOf } from "./aggregates.ts";
import { timelineOfDays } from "./compute.ts";
import { utcDaysTouching, type Window } from "./plan.ts";
import { addDays, addMonths, localDateKey, localDayStart } from "./zones.ts";

/**
 * The track and artist pages: one item's counters, first and last listen, and its plays per
 * local week or month from its first listen to its last. The series reads the item's UTC month
 * (or day) aggregate items and corrects each local bucket boundary with the plays between the
 * local and the UTC midnight (at most 14 hours, read only on UTC days the item was played), so
 * it is exact in any zone and costs O(months or active days), never O(plays).
 */

export type SeriesBucket = "week" | "month";

export interface SeriesPoint {
  /** The local date the bucket starts on (a Monday for weeks, the 1st for months). */
  bucket: string;
  plays: number;
  listened_ms: number;
}

/** The item whose counted plays a series sums: TRACK#id or ARTIST#id aggregate items. */
export interface ItemRef {
  dimension: "TRACK" | "ARTIST";
  id: string;
}

/** Whether a play moves the item's aggregates: counted, of the track or crediting the artist. */
export function countsFor(p: Play, ref: ItemRef): boolean {
  if (!p.counted) return false;
  return ref.dimension === "TRACK" ? p.track_id === ref.id : artistIdsOf(p).some((a) => a.id === ref.id);
}

/** Plays in [from, to), every page (the windows read here are shorter than a day). */
export async function playsIn(store: Store, w: Window): Promise<Play[]> {
  const out: Play[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listPlays({
      from: new Date(w.from).toISOString(),
      to: new Date(w.to).toISOString(),
      limit: 1000,
      cursor,
    });
    out.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return out;
}

const utcMidnight = (date: string) => Date.parse(`${date}T00:00:00.000Z`);
const nextStart = (start: string, bucket: SeriesBucket) =>
  bucket === "week" ? addDays(start, 7) : addMonths(start, 1);

/** The UTC months ("YYYY-MM") a window [from, to) touches. */
export function monthsTouching(w: Window): string[] {
  const out: string[] = [];
  const last = new Date(w.to - 1).toISOString().slice(0, 7);
  for (
    let m = new Date(w.from).toISOString().slice(0, 7);
    m <= last;
    m = addMonths(`${m}-01`, 1).slice(0, 7)
  ) {
    out.push(m);
  }
  return out;
}

/**
 * The item's counted plays and listened time per local bucket, from the bucket of `firstMs`
 * to the bucket of `lastMs` (zeros included).
 */
export async function itemSeries(
  store: Store,
  ref: ItemRef,
  tz: string,
  bucket: SeriesBucket,
  firstMs: number,
  lastMs: number,
): Promise<SeriesPoint[]> {
  const starts = timelineOfDays(new Map(), bucket, localDateKey(tz, firstMs), localDateKey(tz, lastMs)).map(
    (p) => p.start,
  );
  const boundaries = [...starts, nextStart(starts.at(-1) as string, bucket)];
  const local = boundaries.map((d) => localDayStart(tz, d));
  const utc = boundaries.map(utcMidnight);
  const span = { from: Math.min(local[0] as number, utc[0] as number), to: Math.max(...local, ...utc) };
  const refIn = (b: string) => ({ bucket: b, dimension: ref.dimension, id: ref.id });
  const byBucket = (rows: Aggregate[]) => new Map(rows.map((a) => [a.bucket, a]));

  // UTC months first: a day of a month the item was never played in has no item to ask for.
  const months = byBucket(await store.batchGetAggregates(monthsTouching(span).map((m) => refIn(`M#${m}`))));
  const active = (day: string) => months.has(`M#${day.slice(0, 7)}`);
  const windows = boundaries.map((_, i) => ({
    from: Math.min(local[i] as number, utc[i] as number),
    to: Math.max(local[i] as number, utc[i] as number),
  }));
  const days = new Set<string>();
  for (const w of windows) if (w.from < w.to) for (const d of utcDaysTouching(w)) days.add(d);
  if (bucket === "week") {
    for (const s of starts) for (let k = 0; k < 7; k++) days.add(addDays(s, k));
  }
  const dayItems = byBucket(
    await store.batchGetAggregates([...days].filter(active).map((d) => refIn(`D#${d}`))),
  );

  const points: SeriesPoint[] = starts.map((s) => {
    const rows =
      bucket === "month"
        ? [months.get(`M#${s.slice(0, 7)}`)]
        : Array.from({ length: 7 }, (_, k) => dayItems.get(`D#${addDays(s, k)}`));
    let plays = 0;
    let listened = 0;
    for (const r of rows) {
      plays += r?.plays ?? 0;
      listened += r?.listened_ms ?? 0;
    }
    return { bucket: s, plays, listened_ms: listened };
  });

  // Boundary i: the plays between local and UTC midnight of its date belong to the local
  // bucket on their side of the local midnight, but the UTC items counted them on the other.
  const moves = await Promise.all(
    windows.map(async (w, i) => {
      if (w.from >= w.to || !utcDaysTouching(w).some((d) => dayItems.has(`D#${d}`))) return [];
      return (await playsIn(store, w)).filter((p) => countsFor(p, ref)).map((p) => ({ i, p }));
    }),
  );
  for (const { i, p } of moves.flat()) {
    // Local midnight before UTC midnight: the plays are local bucket i's, UTC bucket i-1's.
    const [to, from] = (local[i] as number) < (utc[i] as number) ? [i, i - 1] : [i - 1, i];
    const add = points[to];
    const sub = points[from];
    if (add) {
      add.plays += 1;
      add.listened_ms += p.listened_ms;
    }
    if (sub) {
      sub.plays -= 1;
      sub.listened_ms -= p.listened_ms;
    }
  }
  return points;
}

export interface ItemTotalsDetail {
  plays: number;
  skips: number;
  /** skips / (plays + skips). */
  skip_rate: number;
  listened_ms: number;
  first_listened_at: string;
  last_listened_at: string;
  series: SeriesPoint[];
}

function totalsOf(series: SeriesPoint[], skips: number, first: string, last: string): ItemTotalsDetail {
  const plays = series.reduce((n, p) => n + p.plays, 0);
  return {
    plays,
    skips,
    skip_rate: plays + skips === 0 ? 0 : skips / (plays + skips),
    listened_ms: series.reduce((n, p) => n + p.listened_ms, 0),
    first_listened_at: first,
    last_listened_at: last,
    series,
  };
}

/**
 * The instants a series spans: a stray row from before Spotify or after now (stored before
 * imports checked their bounds) must not stretch it over centuries.
 */
function seriesSpan(first: string, last: string, nowMs: number): [number, number] {
  const from = Math.min(Math.max(Date.parse(first), EARLIEST_LISTEN_MS), nowMs);
  return [from, Math.max(from, Math.min(Date.parse(last), nowMs))];
}

const listened = (t: Track) => t.listen_count + t.skip_count > 0 && t.first_listened && t.last_listened;

/** A track's page, or null when the listener never listened to it. */
export async function trackDetail(
  store: Store,
  trackId: string,
  q: { tz: string; bucket: SeriesBucket },
  nowMs: number,
) {
  const { tz, bucket } = q;
  const track = await store.getTrack(trackId);
  if (!track || !listened(track)) return null;
  const first = track.first_listened as string;
  const last = track.last_listened as string;
  const series = await itemSeries(
    store,
    { dimension: "TRACK", id: trackId },
    tz,
    bucket,
    ...seriesSpan(first, last, nowMs),
  );
  return {
    track: {
      track_id: track.track_id,
      kind: track.kind,
      name: track.name,
      artists: track.artists,
      album: track.album,
      image_url: track.album?.image_url ?? null,
      duration_ms: track.duration_ms,
    },
    tz,
    bucket,
    ...totalsOf(series, track.skip_count, first, last),
  };
}

/** Every track document of the listener (the artist page finds its tracks among them). */
async function allTracks(store: Store): Promise<Track[]> {
  const out: Track[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listTracksByCount(1000, cursor);
    out.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return out;
}

/**
 * An artist's page, or null when the listener never listened to a track crediting them. Skips
 * and first/last listens are kept per track only, so they come from the tracks that credit the
 * artist: this reads every track document of the listener (O(tracks), still not O(plays)).
 */
export async function artistDetail(
  store: Store,
  artistId: string,
  q: { tz: string; bucket: SeriesBucket },
  nowMs: number,
) {
  const { tz, bucket } = q;
  const [tracks, artist] = await Promise.all([allTracks(store), store.getArtist(artistId)]);
  const theirs = tracks.filter((t) => listened(t) && t.artists.some((a) => a.id === artistId));
  if (theirs.length === 0) return null;
  const first = theirs.map((t) => t.first_listened as string).reduce((a, b) => (a < b ? a : b));
  const last = theirs.map((t) => t.last_listened as string).reduce((a, b) => (a > b ? a : b));
  const series = await itemSeries(
    store,
    { dimension: "ARTIST", id: artistId },
    tz,
    bucket,
    ...seriesSpan(first, last, nowMs),
  );
  const credited = theirs[0]?.artists.find((a) => a.id === artistId)?.name ?? null;
  return {
    artist: artistShape(artistId, artist, credited),
    tz,
    bucket,
    ...totalsOf(
      series,
      theirs.reduce((n, t) => n + t.skip_count, 0),
      first,
      last,
    ),
    top_tracks: theirs
      .filter((t) => t.listen_count > 0)
      .sort((a, b) => b.listen_count - a.listen_count || b.listened_ms_total - a.listened_ms_total)
      .slice(0, 10)
      .map((t) => ({
        track_id: t.track_id,
        name: t.name,
        image_url: t.album?.image_url ?? null,
        plays: t.listen_count,
        listened_ms: t.listened_ms_total,
      })),
  };
}

function artistShape(id: string, artist: Artist | null, credited: string | null) {
  return {
    artist_id: id,
    name: artist?.name ?? credited,
    image_url: artist?.image_url ?? null,
    genres: artist?.genres ?? null,
  };
}
