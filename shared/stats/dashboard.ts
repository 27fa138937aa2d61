import { cacheKeys } from "../cache/keys.ts";
import type { Cache } from "../cache/port.ts";
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import type { NowPlayingSnapshot } from "../domain/tracker.ts";
import { logger } from "../logger.ts";
import { moodDimension, moodOfTracks } from "../lyrics/mood.ts";
import type { LyricsStore } from "../lyrics/store.ts";
import type { Store } from "../store/port.ts";
import type { RangeSpec } from "./plan.ts";
import { createStatsReader } from "./reader.ts";

/** The dashboard names the strongest few emotions. */
const MOOD_LABELS = 5;

/**
 * Everything a dashboard page shows, in one call: the linked profile, the playback loop's
 * now-playing snapshot, and over one range the summary, top artists/tracks/genres and the
 * clock (sharing their reads), plus the latest listens and the mood (over the same track totals:
 * the range's snapshot is read once).
 */
export async function loadDashboard(
  deps: {
    store: Store;
    lyrics: LyricsStore;
    cache: Cache;
    clock: Clock;
    listener: string;
    config: Pick<Config, "HF_MODEL">;
  },
  query: RangeSpec & { limit: number },
) {
  const now = deps.clock().getTime();
  const version = deps.lyrics.vectorsVersion();
  const [{ tracks: mood, ...overview }, link, snapshot, recent] = await Promise.all([
    createStatsReader(deps.store).overview(query, query.limit, now, {
      extra: moodDimension(deps.config.HF_MODEL),
      tracks: async (tracks, basis) => moodOfTracks(deps, tracks, basis, await version, "time", MOOD_LABELS),
    }),
    deps.store.getSpotifyLink(),
    deps.cache.get<NowPlayingSnapshot>(cacheKeys.snapshot(deps.listener)).catch((err: unknown) => {
      // Hot state only: the dashboard still answers without it.
      logger.warn("dashboard: now-playing snapshot unreadable", { error: (err as Error).message });
      return null;
    }),
    deps.store.listPlays({ limit: query.limit }),
    // Awaited here too: a failure before the mood asks for it is then not left unhandled.
    version,
  ]);
  const item = snapshot?.item;
  return {
    profile: link
      ? { user_id: link.user_id, display_name: link.display_name, linked_at: link.linked_at }
      : null,
    now_playing:
      snapshot && item
        ? {
            is_playing: snapshot.is_playing,
            kind: item.kind,
            track_id: item.key,
            title: item.name,
            artists: item.artists.map((a) => a.name),
            album: item.album?.name ?? null,
            album_art: item.album?.image_url ?? null,
            progress_ms: snapshot.progress_ms,
            duration_ms: item.duration_ms,
            observed_at: snapshot.observed_at,
          }
        : null,
    ...overview,
    recent_plays: recent.items,
    mood,
  };
}
