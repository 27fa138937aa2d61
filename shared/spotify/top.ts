import { cacheKeys, cacheTtlMs } from "../cache/keys.ts";
import type { Deps } from "../deps.ts";
import { ConflictError } from "../errors.ts";
import { logger } from "../logger.ts";
import { createSpotifyClient } from "./client.ts";
import { spotifyFaultError } from "./faults.ts";
import { type SpotifyApi, SpotifyError, type TopItems, type TopTimeRange, type TopType } from "./types.ts";

/**
 * Spotify's own top lists (GET /me/top/{type}), for comparing what Spotify thinks with what the
 * hoard says. Spotify recomputes them about once a day, so an answer is kept in the cache for an
 * hour per (type, range, limit): a dashboard refreshed every minute costs Spotify one call an
 * hour. The cache is an optimisation: when it is down, Spotify is asked every time.
 */

export const TOP_CACHE_TTL_MS = cacheTtlMs.spotifyTop;

export interface SpotifyTop {
  type: TopType;
  time_range: TopTimeRange;
  limit: number;
  /** When Spotify was asked (the answer may be up to an hour old). */
  fetched_at: string;
  total: number;
  items: TopItems["items"];
}

export async function spotifyTop(
  deps: Pick<Deps, "config" | "cache" | "store" | "clock" | "listener">,
  q: { type: TopType; time_range: TopTimeRange; limit: number },
  spotify: SpotifyApi = createSpotifyClient(deps),
): Promise<SpotifyTop> {
  const key = cacheKeys.spotifyTop(deps.listener, q.type, q.time_range, q.limit);
  try {
    const hit = await deps.cache.get<SpotifyTop>(key);
    if (hit && Array.isArray(hit.items)) return hit;
  } catch (err) {
    logger.warn("spotify top: cache read failed", { error: (err as Error).message });
  }
  let top: TopItems;
  try {
    top = await spotify.topItems(q.type, q.time_range, q.limit);
  } catch (err) {
    if (!(err instanceof SpotifyError)) throw err;
    // A link made before we asked for user-top-read: only linking again grants it.
    if (err.fault.type === "unavailable" && err.fault.status === 403) {
      throw new ConflictError(
        "Spotify refused the top lists (403): link again at /spotify/authorize to grant user-top-read",
        "spotify_scope_missing",
      );
    }
    throw spotifyFaultError(deps.config, err.fault);
  }
  const answer: SpotifyTop = {
    type: q.type,
    time_range: q.time_range,
    limit: q.limit,
    fetched_at: deps.clock().toISOString(),
    total: top.total,
    items: top.items,
  };
  try {
    await deps.cache.set(key, answer, { ttlMs: TOP_CACHE_TTL_MS });
  } catch (err) {
    logger.warn("spotify top: cache write failed", { error: (err as Error).message });
  }
  return answer;
}
