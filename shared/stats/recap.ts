import { gunzipSync, gzipSync } from "node:zlib";
import type { Artist, Play } from "../domain/entities.ts";
import type { AggregateRef, Store } from "../store/port.ts";
import { artistIdsOf, TOTAL_ID } from "./aggregates.ts";
import { type ItemTotals, mergeTotals, rank } from "./compute.ts";
import { monthsTouching, playsIn } from "./detail.ts";
import { readDaySlots, readTrackDays } from "./packs.ts";
import { EPOCH_MS, type Window } from "./plan.ts";
import { createStatsReader } from "./reader.ts";
import { addDays, DAY_MS, dateKey, localDateKey, localDayStart, QUARTER_MS } from "./zones.ts";

/**
 * The year in review: one local calendar year (or the current one so far) in the caller's zone,
 * composed from the statistics readers (totals, tops, months, streak: shared/stats/reader.ts)
 * plus two facts of its own, both from aggregates:
 *   - the most repeated day: per-track counts of each UTC day (the months' track packs, the D
 *     buckets for days not packed: shared/stats/packs.ts), exact in UTC; in
 *     other zones a local day overlaps two UTC days, whose counts bound it from above, and only
 *     the days whose bound can still beat the best are counted exactly from their plays;
 *   - new artists: those with counted plays in the year and none before it (the buckets before
 *     the year), and for the ten most played of them the first play, found by walking their
 *     month, then day items down to one day of plays (all ten at once).
 */

const minutes = (ms: number) => Math.round(ms / 60_000);

export interface MonthPoint {
  month: string;
  plays: number;
  listened_ms: number;
  minutes: number;
}

export interface RepeatedDay {
  date: string;
  track: { track_id: string; name: string | null; artists: string[]; image_url: string | null };
  plays: number;
}

/** Most plays first; ties: the earlier date, then the smaller track id. */
const beats = (
  a: { plays: number; date: string; id: string },
  b: { plays: number; date: string; id: string },
) => (a.plays !== b.plays ? a.plays > b.plays : a.date !== b.date ? a.date < b.date : a.id < b.id);

/** The local day on which one track had the most counted plays, within the window. */
async function mostRepeatedDay(store: Store, w: Window, tz: string): Promise<RepeatedDay | null> {
  const utcDays: number[] = [];
  for (let d = Math.floor(w.from / DAY_MS) * DAY_MS; d < w.to; d += DAY_MS) utcDays.push(d);
  const [byDate, slots] = await Promise.all([
    readTrackDays(store, utcDays.map(dateKey)),
    readDaySlots(store, utcDays.map(dateKey)),
  ]);
  const counts = new Map(utcDays.map((d) => [d, byDate.get(dateKey(d)) ?? new Map<string, number>()]));
  const slotsOf = new Map(slots.map((s) => [Date.parse(`${s.day}T00:00:00.000Z`), s.slots]));
  /** Counted plays of UTC day `d` in the quarter hours that overlap the window: no track has more there. */
  const playsWithin = (d: number, window: Window) => {
    const triples = slotsOf.get(d) ?? [];
    let n = 0;
    for (let i = 0; i < triples.length; i += 3) {
      const start = d + (triples[i] as number) * QUARTER_MS;
      if (start < window.to && start + QUARTER_MS > window.from) n += triples[i + 1] as number;
    }
    return n;
  };

  // Each local day: its window, the UTC days it overlaps and an upper bound per track.
  interface Day {
    date: string;
    window: Window;
    exact: boolean;
    bound: { plays: number; id: string };
  }
  const days: Day[] = [];
  const last = localDateKey(tz, w.to - 1);
  for (let date = localDateKey(tz, w.from); date <= last; date = addDays(date, 1)) {
    const window = {
      from: Math.max(w.from, localDayStart(tz, date)),
      to: Math.min(w.to, localDayStart(tz, addDays(date, 1))),
    };
    const overlapped = utcDays.filter((d) => d < window.to && d + DAY_MS > window.from);
    const exact =
      overlapped.length === 1 && window.from === overlapped[0] && window.to === window.from + DAY_MS;
    // A track's plays in the local day are at most, from each UTC day, its plays that day and
    // all plays in the part of it the local day covers: a far tighter bound than the day's.
    const sum = new Map<string, number>();
    for (const d of overlapped) {
      const cap = exact ? Number.POSITIVE_INFINITY : playsWithin(d, window);
      for (const [id, n] of counts.get(d) ?? []) sum.set(id, (sum.get(id) ?? 0) + Math.min(n, cap));
    }
    let bound = { plays: 0, id: "" };
    for (const [id, n] of sum)
      if (n > bound.plays || (n === bound.plays && id < bound.id)) bound = { plays: n, id };
    if (bound.plays > 0) days.push({ date, window, exact, bound });
  }
  days.sort((a, b) => b.bound.plays - a.bound.plays || (a.date < b.date ? -1 : 1));

  let best: { plays: number; date: string; id: string } | null = null;
  // A day whose bound cannot beat the best so far ends the search (days are in bound order).
  const hopeless = (d: Day) =>
    best !== null && (d.bound.plays < best.plays || (d.bound.plays === best.plays && d.date > best.date));
  for (let i = 0; i < days.length; i += 8) {
    const batch = days.slice(i, i + 8).filter((d) => !hopeless(d));
    if (batch.length === 0) break;
    const exact = await Promise.all(
      batch.map(async (d) => {
        if (d.exact) return { plays: d.bound.plays, date: d.date, id: d.bound.id };
        const n = new Map<string, number>();
        for (const p of await playsIn(store, d.window)) {
          if (p.counted) n.set(p.track_id, (n.get(p.track_id) ?? 0) + 1);
        }
        let top = { plays: 0, date: d.date, id: "" };
        for (const [id, c] of n)
          if (beats({ plays: c, date: d.date, id }, top)) top = { plays: c, date: d.date, id };
        return top;
      }),
    );
    for (const e of exact) if (e.plays > 0 && (best === null || beats(e, best))) best = e;
  }
  if (!best) return null;
  const track = await store.getTrack(best.id);
  return {
    date: best.date,
    track: {
      track_id: best.id,
      name: track?.name ?? null,
      artists: track?.artists.map((a) => a.name) ?? [],
      image_url: track?.album?.image_url ?? null,
    },
    plays: best.plays,
  };
}

/**
 * The first counted play at or after the window's start of each artist (null: none in it): the
 * first month with a play (one BatchGet for all of them), its first days with one (another),
 * then those days' plays (each day read once, whichever artists ask for it).
 */
async function firstPlaysOf(store: Store, artistIds: readonly string[], w: Window) {
  const ref = (bucket: string, id: string) => ({ bucket, dimension: "ARTIST" as const, id });
  const active = (rows: { bucket: string; id: string; plays: number }[]) => {
    const out = new Map<string, string[]>();
    for (const a of rows)
      if (a.plays > 0) out.set(a.id, [...(out.get(a.id) ?? []), a.bucket.slice(2)].sort());
    return out;
  };
  const months = active(
    await store.batchGetAggregates(
      artistIds.flatMap((id) => monthsTouching(w).map((m) => ref(`M#${m}`, id))),
    ),
  );
  const dayRefs = artistIds.flatMap((id) => {
    const month = months.get(id)?.[0];
    const refs = [];
    for (let d = `${month}-01`; month && d.startsWith(month); d = addDays(d, 1)) refs.push(ref(`D#${d}`, id));
    return refs;
  });
  const days = active(await store.batchGetAggregates(dayRefs));
  const playsOf = new Map<string, Promise<Play[]>>();
  const dayPlays = (day: string) => {
    let p = playsOf.get(day);
    if (!p) {
      const from = Math.max(w.from, Date.parse(`${day}T00:00:00.000Z`));
      const to = Math.min(w.to, Date.parse(`${day}T00:00:00.000Z`) + DAY_MS);
      p = from < to ? playsIn(store, { from, to }) : Promise.resolve([]);
      playsOf.set(day, p);
    }
    return p;
  };
  return Promise.all(
    artistIds.map(async (id) => {
      for (const day of days.get(id) ?? []) {
        const first = (await dayPlays(day))
          .filter((p) => p.counted && artistIdsOf(p).some((a) => a.id === id))
          .sort((a, b) => (a.listened_at < b.listened_at ? -1 : 1))[0];
        if (first) return first;
      }
      return null;
    }),
  );
}

const artistRef = (id: string, meta: Artist | undefined, name: string | null) => ({
  artist_id: id,
  name: meta?.name ?? name,
  image_url: meta?.image_url ?? null,
  genres: meta?.genres ?? null,
});

async function newArtists(
  store: Store,
  inYear: Map<string, ItemTotals>,
  before: Map<string, ItemTotals>,
  w: Window,
) {
  const fresh = [...inYear.values()].filter((t) => t.plays > 0 && !((before.get(t.id)?.plays ?? 0) > 0));
  const top = rank(fresh, "plays", 10);
  const [firsts, meta] = await Promise.all([
    firstPlaysOf(
      store,
      top.map((t) => t.id),
      w,
    ),
    store.batchGetArtists(top.map((t) => t.id)),
  ]);
  const byId = new Map(meta.map((a) => [a.artist_id, a]));
  return {
    count: fresh.length,
    items: top.map((t, i) => {
      const first = firsts[i];
      const credited = first?.artists.find((a) => a.id === t.id)?.name ?? t.name;
      return {
        artist: artistRef(t.id, byId.get(t.id), credited),
        first_listened_at: first?.listened_at ?? null,
        plays: t.plays,
        listened_ms: t.listened_ms,
      };
    }),
  };
}

async function computeYear(store: Store, tz: string, year: number, nowMs: number) {
  const reader = createStatsReader(store);
  const start = localDayStart(tz, `${year}-01-01`);
  const end = localDayStart(tz, `${year + 1}-01-01`);
  // The year so far, from before yesterday: its numbers before today kept, as named ranges'.
  const keep = end > nowMs && start < Math.floor(nowMs / DAY_MS) * DAY_MS - DAY_MS ? "year" : undefined;
  const spec = { tz, from: start, to: end, keep };
  const r = await reader.resolve(spec, nowMs);
  const w = r.window;
  const [overview, albums, timeline, inYear, before, repeated] = await Promise.all([
    reader.overview(spec, 5, nowMs),
    reader.top("albums", spec, "plays", 5, nowMs),
    reader.timeline(spec, "month", nowMs),
    reader.itemTotals("ARTIST", spec, nowMs),
    // Every counted play before the year (the buckets since the first play).
    reader.itemTotals("ARTIST", { tz, to: start }, nowMs),
    w ? mostRepeatedDay(store, w, tz) : null,
  ]);
  const byMonth = new Map(timeline.points.map((p) => [p.start.slice(0, 7), p]));
  const months: MonthPoint[] = Array.from({ length: 12 }, (_, i) => {
    const month = `${year}-${String(i + 1).padStart(2, "0")}`;
    const p = byMonth.get(month);
    return {
      month,
      plays: p?.plays ?? 0,
      listened_ms: p?.listened_ms ?? 0,
      minutes: minutes(p?.listened_ms ?? 0),
    };
  });
  const topMonth =
    months
      .filter((m) => m.plays > 0)
      .sort(
        (a, b) => b.plays - a.plays || b.listened_ms - a.listened_ms || (a.month < b.month ? -1 : 1),
      )[0] ?? null;
  const s = overview.summary;
  return {
    year,
    so_far: start <= nowMs && nowMs < end,
    range: overview.range,
    plays: s.plays,
    skips: s.skips,
    listened_ms: s.listened_ms,
    minutes: minutes(s.listened_ms),
    distinct_tracks: s.distinct_tracks,
    distinct_artists: s.distinct_artists,
    top: {
      tracks: overview.top_tracks,
      artists: overview.top_artists,
      albums: albums.items,
      genres: overview.top_genres,
    },
    months,
    top_month: topMonth,
    longest_streak: s.longest_streak,
    most_repeated_day: repeated,
    new_artists: w
      ? await newArtists(store, inYear.items, before.items, w)
      : { count: 0, items: [] as Awaited<ReturnType<typeof newArtists>>["items"] },
  };
}

export type YearInReview = Awaited<ReturnType<typeof computeYear>>;

/**
 * A closed year's answer, kept: computing it reads every day of the year (most repeated day)
 * and every artist bucket before it (new artists), seconds at ten thousand plays. It depends
 * only on the listens before the year's end and on what the generation counter guards (see
 * shared/stats/snapshot.ts), so it is kept with a fingerprint of both and used while they match.
 *
 * The fingerprint sums the TOTALs of every UTC year before `cutoff` (the first UTC midnight at
 * or after the local year's end) and of the UTC days from that year's start to the cutoff (at
 * most one: zone offsets are under a day). Live listens start after the cutoff and touch none
 * of them, so they never invalidate; a listen stored late, an import or a deletion (which
 * bumps the generation) does. Artists' names, images and genres are read again on every hit:
 * the metadata sync rewrites them without any counter moving (a genre change bumps the
 * generation anyway, since genre totals use them).
 */
const YEAR_CACHE_DAYS = 30;
/** Part of the fingerprint: bump it when the answer's shape or its computation changes. */
const YEAR_CACHE_VERSION = 1;
const yearCacheKey = (year: number) => `YEAR#${year}`;
const yearCacheDimension = (tz: string) => `RECAP@${tz}`;

async function yearFingerprint(store: Store, end: number): Promise<string> {
  const cutoff = Math.ceil(end / DAY_MS) * DAY_MS;
  const cutoffYear = new Date(cutoff).getUTCFullYear();
  const refs: AggregateRef[] = [];
  const total = (bucket: string): AggregateRef => ({ bucket, dimension: "TOTAL", id: TOTAL_ID });
  for (let y = new Date(EPOCH_MS).getUTCFullYear(); y < cutoffYear; y++) refs.push(total(`Y#${y}`));
  for (let d = Date.UTC(cutoffYear, 0, 1); d < cutoff; d += DAY_MS) refs.push(total(`D#${dateKey(d)}`));
  const [rows, validity] = await Promise.all([store.batchGetAggregates(refs), store.getStatsValidity([])]);
  const t = mergeTotals(rows, []);
  return `v${YEAR_CACHE_VERSION}:${t.plays}/${t.skips}/${t.listened_ms}@${validity.generation}`;
}

/** The artists' current names, images and genres over a kept answer (freshly parsed: ours to change). */
async function withArtistMeta(store: Store, answer: YearInReview): Promise<YearInReview> {
  const { artists } = answer.top;
  const fresh = answer.new_artists.items;
  const ids = [...artists.map((a) => a.artist_id), ...fresh.map((i) => i.artist.artist_id)];
  const meta = new Map((await store.batchGetArtists(ids)).map((a) => [a.artist_id, a]));
  for (const a of artists) {
    const m = meta.get(a.artist_id);
    a.image_url = m?.image_url ?? null;
    a.genres = m?.genres ?? null;
  }
  for (const i of fresh)
    i.artist = artistRef(i.artist.artist_id, meta.get(i.artist.artist_id), i.artist.name);
  return answer;
}

export async function yearInReview(
  store: Store,
  q: { year?: number | undefined; tz: string },
  nowMs: number,
): Promise<YearInReview> {
  const { tz } = q;
  const year = q.year ?? Number(localDateKey(tz, nowMs).slice(0, 4));
  const end = localDayStart(tz, `${year + 1}-01-01`);
  // The year so far changes with every listen: computed on each read.
  if (end > nowMs) return computeYear(store, tz, year, nowMs);
  const key = yearCacheKey(year);
  const dimension = yearCacheDimension(tz);
  const [parts, before] = await Promise.all([
    store.queryStatsSnapshot(key, dimension),
    yearFingerprint(store, end),
  ]);
  const kept = parts[0];
  if (kept?.head === before) {
    return withArtistMeta(store, JSON.parse(gunzipSync(kept.body).toString("utf8")) as YearInReview);
  }
  const answer = await computeYear(store, tz, year, nowMs);
  // Kept only when nothing it depends on moved while it was computed.
  if ((await yearFingerprint(store, end)) === before) {
    const body = gzipSync(JSON.stringify(answer));
    const expiresAt = Math.floor(nowMs / 1000) + YEAR_CACHE_DAYS * 86_400;
    await store.putStatsSnapshot(key, dimension, [{ n: 0, build: before, head: before, body }], expiresAt);
  }
  return answer;
}
