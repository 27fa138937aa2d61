import type { Deps } from "../deps.ts";
import { logger } from "../logger.ts";
import { createSpotifyClient } from "../spotify/client.ts";
import { SpotifyError } from "../spotify/types.ts";
import { CACHE_KEYS, parkForQuota, QUOTA_LEASE } from "./loop.ts";

export type WatchdogOutcome = "quota" | "running" | "not_linked" | "idle" | "started" | "error";

/**
 * Runs every minute. While nothing plays it asks Spotify once (a Lambda, not a workflow: near
 * zero idle cost) and touches the cache only when something does play, to see whether a loop
 * already holds the lease; if none does, it starts one. The link item it reads from DynamoDB
 * anyway carries Spotify's quota back-off, so a 429 is honoured without a cache read.
 */
export async function watchdog(deps: Deps, startChain: () => Promise<void>): Promise<WatchdogOutcome> {
  const now = deps.clock().getTime();
  try {
    const link = await deps.store.getSpotifyLink();
    if (!link || link.needs_reauth) return "not_linked";
    if (link.quota_until && Date.parse(link.quota_until) > now) return "quota";
    const obs = await createSpotifyClient(deps).currentPlayback();
    const active = (obs.type === "item" && obs.is_playing) || obs.type === "unsupported";
    if (!active) return "idle";
    const holder = await deps.cache.get<string>(CACHE_KEYS.lease);
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
