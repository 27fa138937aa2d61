import { cacheKeys } from "../cache/keys.ts";
import type { Deps } from "../deps.ts";
import { logger } from "../logger.ts";
import { createSpotifyClient } from "../spotify/client.ts";
import { SpotifyError } from "../spotify/types.ts";
import { RECENTLY_PLAYED_CURSOR, runBackfillJob } from "./backfill.ts";
import { parkForQuota, QUOTA_LEASE } from "./loop.ts";
import { LOOP_SPOTIFY_CLIENT } from "./runner.ts";

export type WatchdogOutcome = "quota" | "running" | "not_linked" | "idle" | "caught_up" | "started" | "error";

/**
 * Runs every minute. First the lease: a live loop notes on the link item until when it holds
 * it (noteLease in loop.ts), and that item is read here anyway (it carries Spotify's quota
 * back-off too), so while a loop lives the watchdog asks neither Spotify nor the cache — the
 * loop is already looking every 1-3 s. Otherwise it asks Spotify what plays and whether
 * recently-played lists anything new (a Lambda, not a workflow: near zero idle cost); when
 * music plays it reads the lease itself in the cache, which decides, and starts a loop if
 * none holds it (the loop catches up first).
 */
export async function watchdog(deps: Deps, startChain: () => Promise<void>): Promise<WatchdogOutcome> {
  const now = deps.clock().getTime();
  try {
    const link = await deps.store.getSpotifyLink();
    if (!link || link.needs_reauth) return "not_linked";
    if (link.quota_until && Date.parse(link.quota_until) > now) return "quota";
    if (link.loop_until && Date.parse(link.loop_until) > now) return "running";
    // The loop's short timeouts: up to four Spotify calls must end well inside the function's timeout.
    const spotify = createSpotifyClient(deps, LOOP_SPOTIFY_CLIENT);
    const obs = await spotify.currentPlayback();
    const active = (obs.type === "item" && obs.is_playing) || obs.type === "unsupported";
    if (!active) {
      // A short listen can start and end between two looks (or after the loop ended): Spotify
      // lists it once it ends. One cheap question a minute; the full backfill only when
      // something new is listed, so it is stored now, not by the hourly job.
      const cursor = Number(await deps.store.getCursor(RECENTLY_PLAYED_CURSOR));
      const fresh = await spotify.recentlyPlayed({
        ...(Number.isFinite(cursor) && cursor > 0 ? { afterMs: cursor } : {}),
        limit: 1,
      });
      if (fresh.length === 0) return "idle";
      const run = await runBackfillJob(deps, "watchdog", { spotify });
      return run.ok && run.result.inserted > 0 ? "caught_up" : "idle";
    }
    const holder = await deps.cache.get<string>(cacheKeys.lease(deps.listener));
    if (holder === QUOTA_LEASE) return "quota";
    if (holder) return "running";
    await startChain();
    return "started";
  } catch (err) {
    if (err instanceof SpotifyError && err.fault.type === "rate_limited") {
      await parkForQuota(deps, now, err.fault.retryAfterSeconds);
      return "quota";
    }
    logger.warn("watchdog could not check playback", { error: (err as Error).message });
    return "error";
  }
}
