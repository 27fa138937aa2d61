import type { Deps } from "../deps.ts";
import { logger } from "../logger.ts";
import { createSpotifyClient } from "../spotify/client.ts";
import { SpotifyError } from "../spotify/types.ts";
import { CACHE_KEYS } from "./loop.ts";

export type WatchdogOutcome = "quota" | "running" | "not_linked" | "idle" | "started" | "error";

/**
 * Runs every minute. While music plays a loop holds the lease and this does nothing; while
 * nothing plays it asks Spotify once a minute (a Lambda, not a workflow: near-zero idle cost)
 * and starts a chain when something starts playing.
 */
export async function watchdog(deps: Deps, startChain: () => Promise<void>): Promise<WatchdogOutcome> {
  const now = deps.clock().getTime();
  try {
    const quotaUntil = await deps.cache.get<number>(CACHE_KEYS.quotaUntil);
    if (typeof quotaUntil === "number" && quotaUntil > now) return "quota";
    if (await deps.cache.get(CACHE_KEYS.lease)) return "running";
    const link = await deps.store.getSpotifyLink();
    if (!link || link.needs_reauth) return "not_linked";
    const obs = await createSpotifyClient(deps).currentPlayback();
    const active = (obs.type === "item" && obs.is_playing) || obs.type === "unsupported";
    if (!active) return "idle";
    await startChain();
    return "started";
  } catch (err) {
    if (err instanceof SpotifyError && err.fault.type === "rate_limited") {
      const until = now + err.fault.retryAfterSeconds * 1000;
      await deps.cache
        .set(CACHE_KEYS.quotaUntil, until, { ttlMs: err.fault.retryAfterSeconds * 1000 })
        .catch(() => undefined);
      return "quota";
    }
    logger.warn("watchdog could not check playback", { error: (err as Error).message });
    return "error";
  }
}
