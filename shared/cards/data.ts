import type { Cache } from "../cache/port.ts";
import { CACHE_KEYS } from "../capture/loop.ts";
import type { NowPlayingSnapshot } from "../domain/tracker.ts";
import { logger } from "../logger.ts";
import type { Aggregate, Store } from "../store/port.ts";
import { type ArtOptions, getArt } from "./art.ts";
import {
  emptyNowPlaying,
  type NowPlayingView,
  type RecentRow,
  rangeDays,
  rankArtists,
  type TopArtistRow,
  type TopRange,
  viewFromPlay,
  viewFromSnapshot,
} from "./model.ts";

/**
 * What the now-playing routes read: the snapshot the poll loop keeps in the cache, and the
 * store. Never the Spotify API — these routes are public and hot, and Spotify's quota is not
 * ours to spend on page views.
 */

export interface CardSources {
  cache: Cache;
  store: Store;
}

/** The snapshot, or null when absent or the cache is unreachable (the store still answers). */
async function readSnapshot(cache: Cache): Promise<NowPlayingSnapshot | null> {
  try {
    return await cache.get<NowPlayingSnapshot>(CACHE_KEYS.snapshot);
  } catch (err) {
    logger.warn("now-playing snapshot unreadable; falling back to the newest play", {
      error: (err as Error).message,
    });
    return null;
  }
}

export async function loadNowPlaying(src: CardSources, nowMs: number): Promise<NowPlayingView> {
  const fromSnapshot = viewFromSnapshot(await readSnapshot(src.cache), nowMs);
  if (fromSnapshot) return fromSnapshot;
  const play = await src.store.newestPlay();
  if (!play) return emptyNowPlaying();
  return viewFromPlay(play, await src.store.getTrack(play.track_id));
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
  return Promise.all(
    plays.map(async (p) => ({
      title: p.name,
      artists: p.artists.map((a) => a.name),
      played_at: p.ended_at,
      art: withArt
        ? await getArt(
            src.cache,
            {
              id: p.album_id,
              url: async () => (await src.store.getTrack(p.track_id))?.album?.image_url ?? null,
            },
            opts,
          )
        : null,
    })),
  );
}

/** Spotify launched in October 2008: nothing was played before. */
const EPOCH_DAY = Date.UTC(2008, 9, 1);
const DAY_MS = 86_400_000;

/**
 * The UTC day of the oldest play, by binary search over "is there a play before day d?"
 * (the store pages newest first): about 13 small queries, cached for a day.
 */
async function firstPlayDay(src: CardSources, nowMs: number): Promise<string | null> {
  const key = "card:first-play-day";
  const cached = await src.cache.get<string>(key).catch(() => null);
  if (cached) return cached;
  const before = async (dayIndex: number) => {
    const to = new Date(EPOCH_DAY + (dayIndex + 1) * DAY_MS).toISOString();
    return (await src.store.listPlays({ to, limit: 1 })).items.length > 0;
  };
  let hi = Math.floor((nowMs - EPOCH_DAY) / DAY_MS) + 1;
  if (!(await before(hi))) return null;
  let lo = 0;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (await before(mid)) hi = mid;
    else lo = mid + 1;
  }
  const day = new Date(EPOCH_DAY + lo * DAY_MS).toISOString().slice(0, 10);
  await src.cache.set(key, day, { ttlMs: DAY_MS }).catch(() => undefined);
  return day;
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Longer ranges move slowly and cost more reads: keep their ranking longer. */
const TOP_TTL_MS: Record<TopRange, number> = {
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
}

/**
 * The top artists of a range from the daily aggregates that exist (the statistics work adds
 * coarser buckets; until then a long range reads one small partition per day, in parallel,
 * and the ranking is cached). Names and pictures come from the artist items.
 */
export async function loadTopArtistRows(
  src: CardSources,
  range: TopRange,
  limit: number,
  nowMs: number,
  withArt: boolean,
  opts?: ArtOptions,
): Promise<TopArtistRow[]> {
  const today = new Date(nowMs).toISOString().slice(0, 10);
  const key = `card:top-artists:${range}:${today}`;
  let ranked = await src.cache.get<RankedArtist[]>(key).catch(() => null);
  if (!Array.isArray(ranked)) {
    const first = range === "all" ? await firstPlayDay(src, nowMs) : null;
    const days = rangeDays(range, nowMs, first);
    const perDay: Aggregate[][] = await mapLimit(days, 16, (d) => src.store.getDailyAggregates(d));
    const top = rankArtists(perDay, TOP_ARTISTS_MAX);
    ranked = await Promise.all(
      top.map(async (t) => {
        const artist = await src.store.getArtist(t.id);
        return {
          id: t.id,
          name: artist?.name ?? "Unknown artist",
          plays: t.plays,
          image_url: artist?.image_url ?? null,
        };
      }),
    );
    await src.cache.set(key, ranked, { ttlMs: TOP_TTL_MS[range] }).catch(() => undefined);
  }
  return Promise.all(
    ranked.slice(0, limit).map(async (r) => ({
      name: r.name,
      plays: r.plays,
      art: withArt && r.image_url ? await getArt(src.cache, { url: r.image_url }, opts) : null,
    })),
  );
}
