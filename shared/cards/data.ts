import { cacheKeys } from "../cache/keys.ts";
import type { Cache } from "../cache/port.ts";
import type { NowPlayingSnapshot } from "../domain/tracker.ts";
import { logger } from "../logger.ts";
import { listeningClock } from "../stats/compute.ts";
import { readDaySlots } from "../stats/packs.ts";
import { type StatsRange, utcDaysTouching } from "../stats/plan.ts";
import { createStatsReader } from "../stats/reader.ts";
import { yearInReview } from "../stats/recap.ts";
import { addDays, localDateKey, localDayStart } from "../stats/zones.ts";
import type { Store } from "../store/port.ts";
import { type ArtOptions, getArt, getArts, SNAPSHOT_ART_MAX_CHARS } from "./art.ts";
import {
  emptyNowPlaying,
  type NowPlayingView,
  type RecentRow,
  type TopArtistRow,
  viewFromPlay,
  viewFromSnapshot,
  type WeeklyGrid,
  type YearCardView,
} from "./model.ts";

/**
 * What the now-playing routes read: the snapshot the poll loop keeps in the cache, and the
 * store. Never the Spotify API — these routes are public and hot, and Spotify's quota is not
 * ours to spend on page views.
 */

export interface CardSources {
  cache: Cache;
  store: Store;
  /** Whose cards. */
  listener: string;
}

/** The snapshot, or null when absent or the cache is unreachable (the store still answers). */
async function readSnapshot(cache: Cache, listener: string): Promise<NowPlayingSnapshot | null> {
  try {
    return await cache.get<NowPlayingSnapshot>(cacheKeys.snapshot(listener));
  } catch (err) {
    logger.warn("now-playing snapshot unreadable; falling back to the newest play", {
      error: (err as Error).message,
    });
    return null;
  }
}

/** The view for the snapshot, or, when it shows nothing, for the newest stored play. */
async function viewOf(src: CardSources, snapshot: NowPlayingSnapshot | null, nowMs: number) {
  const fromSnapshot = viewFromSnapshot(snapshot, nowMs);
  if (fromSnapshot) return { view: fromSnapshot, fromSnapshot: true };
  const play = await src.store.newestPlay();
  if (!play) return { view: emptyNowPlaying(), fromSnapshot: false };
  return { view: viewFromPlay(play, await src.store.getTrack(play.track_id)), fromSnapshot: false };
}

export async function loadNowPlaying(src: CardSources, nowMs: number): Promise<NowPlayingView> {
  return (await viewOf(src, await readSnapshot(src.cache, src.listener), nowMs)).view;
}

/**
 * The now-playing card's view and art. The art comes with the snapshot (the loop embeds it
 * when the item changes), so a view of a playing card is one cache command; only a snapshot
 * without it (too big to embed, an older writer) or the newest-play fallback reads the art key.
 */
export async function loadNowPlayingCard(
  src: CardSources,
  nowMs: number,
  withArt: boolean,
  opts?: ArtOptions,
): Promise<{ view: NowPlayingView; art: string | null }> {
  const snapshot = await readSnapshot(src.cache, src.listener);
  const { view, fromSnapshot } = await viewOf(src, snapshot, nowMs);
  if (!withArt || !view.album_art) return { view, art: null };
  if (fromSnapshot && snapshot?.art !== undefined) return { view, art: snapshot.art };
  return { view, art: await artForView(src.cache, view, opts) };
}

/** Album art for a view, or null (placeholder). */
export function artForView(cache: Cache, view: NowPlayingView, opts?: ArtOptions): Promise<string | null> {
  if (!view.album_art) return Promise.resolve(null);
  return getArt(cache, { id: view.album_id, url: view.album_art }, opts);
}

/** The last `limit` counted plays (skips left out), newest first, with art when asked. */
export async function loadRecentRows(
  src: CardSources,
  limit: number,
  withArt: boolean,
  opts?: ArtOptions,
): Promise<RecentRow[]> {
  const page = await src.store.listPlays({ limit: Math.min(50, limit * 3) });
  const plays = page.items.filter((p) => p.counted).slice(0, limit);
  // Every row's art in one cache command; the store is read for a URL only on a miss.
  const art = withArt
    ? await getArts(
        src.cache,
        plays.map((p) => ({
          id: p.album_id,
          url: async () => (await src.store.getTrack(p.track_id))?.album?.image_url ?? null,
        })),
        opts,
      )
    : [];
  return plays.map((p, i) => ({
    title: p.name,
    artists: p.artists.map((a) => a.name),
    played_at: p.ended_at,
    art: art[i] ?? null,
  }));
}

/** Longer ranges move slowly and cost more reads: keep their ranking longer. */
const TOP_TTL_MS: Record<StatsRange, number> = {
  "7d": 10 * 60_000,
  "4w": 10 * 60_000,
  "6m": 60 * 60_000,
  "1y": 60 * 60_000,
  all: 6 * 60 * 60_000,
};
export const TOP_ARTISTS_MAX = 10;

interface RankedArtist {
  id: string;
  name: string;
  plays: number;
  image_url: string | null;
  /** The picture as a data URI (null: none), kept with the ranking; absent: too big to keep. */
  art?: string | null;
}

/**
 * The top artists of a range, read by the statistics reader (year, month and day buckets, so
 * `all` costs a handful of Queries, not one per day) with UTC days as the card has no time
 * zone to ask for. The ranking is cached with the pictures in it, so a view is one cache read;
 * pictures come from the artist items, fetched (one MGET, then the misses) when it is built.
 */
export async function loadTopArtistRows(
  src: CardSources,
  range: StatsRange,
  limit: number,
  nowMs: number,
  withArt: boolean,
  opts?: ArtOptions,
): Promise<TopArtistRow[]> {
  const today = new Date(nowMs).toISOString().slice(0, 10);
  const key = cacheKeys.topArtistsCard(src.listener, range, today);
  let ranked = await src.cache.get<RankedArtist[]>(key).catch(() => null);
  if (!Array.isArray(ranked)) {
    const top = await createStatsReader(src.store).top(
      "artists",
      { tz: "UTC", range },
      "plays",
      TOP_ARTISTS_MAX,
      nowMs,
    );
    const art = await getArts(
      src.cache,
      top.items.map((a) => ({ url: a.image_url })),
      opts,
    );
    ranked = top.items.map((a, i) => ({
      id: a.artist_id,
      name: a.name ?? "Unknown artist",
      plays: a.plays,
      image_url: a.image_url,
      ...embeddable(art[i] ?? null),
    }));
    await src.cache.set(key, ranked, { ttlMs: TOP_TTL_MS[range] }).catch(() => undefined);
  }
  const rows = ranked.slice(0, limit);
  // Pictures the ranking could not keep (too big, or an older ranking without them).
  const missing = withArt ? rows.filter((r) => r.art === undefined && r.image_url) : [];
  const fetched = await getArts(
    src.cache,
    missing.map((r) => ({ url: r.image_url })),
    opts,
  );
  const late = new Map(missing.map((r, i) => [r, fetched[i] ?? null]));
  return rows.map((r) => ({
    name: r.name,
    plays: r.plays,
    art: withArt ? (r.art ?? late.get(r) ?? null) : null,
  }));
}

/** A picture small enough to ride in a cached value (as in the now-playing snapshot). */
const embeddable = (uri: string | null): { art?: string | null } =>
  uri !== null && uri.length > SNAPSHOT_ART_MAX_CHARS ? {} : { art: uri };

/** A new listen shows on the grid within this (the card is a week's picture, not a live one). */
const WEEKLY_GRID_TTL_MS = 10 * 60_000;

/**
 * The last 7 local days × 24 hours in `tz`, from the DAY rows' quarter-hour counters alone:
 * the window runs from a local midnight to the next one after today, both on the quarter-hour
 * grid (shared/stats/zones.ts), so no edge plays are read, only the (at most eight) UTC days'
 * rows. Seven consecutive days hold each weekday once, so the listening clock over the window
 * is the grid, one row per weekday. Kept in the cache for a few minutes per local day.
 */
export async function loadWeeklyGrid(src: CardSources, tz: string, nowMs: number): Promise<WeeklyGrid> {
  const today = localDateKey(tz, nowMs);
  const key = cacheKeys.weeklyGridCard(src.listener, tz, today);
  const kept = await src.cache.get<WeeklyGrid>(key).catch(() => null);
  if (kept && Array.isArray(kept.days)) return kept;
  const first = addDays(today, -6);
  const grid = { from: localDayStart(tz, first), to: localDayStart(tz, addDays(today, 1)) };
  const days = await readDaySlots(src.store, utcDaysTouching(grid));
  const clock = listeningClock({ days, grid, edgePlays: [] }, tz);
  const out: WeeklyGrid = {
    tz,
    days: Array.from({ length: 7 }, (_, i) => {
      const date = addDays(first, i);
      const weekday = (new Date(`${date}T00:00:00.000Z`).getUTCDay() + 6) % 7;
      return { date, weekday, listened_ms: [...(clock.listened_ms[weekday] ?? [])] };
    }),
  };
  await src.cache.set(key, out, { ttlMs: WEEKLY_GRID_TTL_MS }).catch(() => undefined);
  return out;
}

/** A year so far moves with every listen; a closed one only with an import or a deletion. */
const YEAR_CARD_TTL_MS = { soFar: 60 * 60_000, closed: 24 * 60 * 60_000 } as const;

/**
 * A year card's numbers, from the year in review (shared/stats/recap.ts), kept in the cache: the
 * review reads a year of day buckets, far too much for every view of a shared image.
 */
export async function loadYearCard(
  src: CardSources,
  year: number,
  tz: string,
  nowMs: number,
): Promise<YearCardView> {
  const key = cacheKeys.yearCard(src.listener, year, tz);
  const kept = await src.cache.get<YearCardView>(key).catch(() => null);
  if (kept && typeof kept.year === "number") return kept;
  const r = await yearInReview(src.store, { year, tz }, nowMs);
  const topTrack = r.top.tracks[0];
  const view: YearCardView = {
    year: r.year,
    soFar: r.so_far,
    listened_ms: r.listened_ms,
    plays: r.plays,
    new_artists: r.new_artists.count,
    top_artist: r.top.artists[0]?.name ?? null,
    top_track: topTrack ? { name: topTrack.name ?? "Unknown track", artists: topTrack.artists } : null,
    top_genre: r.top.genres[0]?.genre ?? null,
    busiest_month: r.top_month ? Number(r.top_month.month.slice(5, 7)) : null,
    longest_streak_days: r.longest_streak?.days ?? null,
  };
  const ttlMs = view.soFar ? YEAR_CARD_TTL_MS.soFar : YEAR_CARD_TTL_MS.closed;
  await src.cache.set(key, view, { ttlMs }).catch(() => undefined);
  return view;
}
