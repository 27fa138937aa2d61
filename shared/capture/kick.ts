import { cacheKeys } from "../cache/keys.ts";
import type { Cache } from "../cache/port.ts";
import { logger } from "../logger.ts";
import { type LoopState, QUOTA_LEASE } from "./loop.ts";
import type { LoopStarter } from "./starter.ts";

export type KickOutcome = "started" | "running" | "quota" | "no_starter" | "error";

/**
 * Starts the loop unless one holds the lease (or a 429 parked everything). Used where waiting
 * for the one-minute watchdog would miss a listen: right after linking Spotify, and after a
 * manual poll. Never throws: a failed kick leaves the watchdog to start the loop within a minute.
 */
export async function kickLoop(
  deps: { cache: Cache; listener: string; startLoop?: LoopStarter | undefined },
  handover?: LoopState,
): Promise<KickOutcome> {
  if (!deps.startLoop) return "no_starter";
  try {
    const holder = await deps.cache.get<string>(cacheKeys.lease(deps.listener));
    if (holder === QUOTA_LEASE) return "quota";
    if (holder) return "running";
    await deps.startLoop(handover);
    return "started";
  } catch (err) {
    logger.warn("could not start the playback loop; the watchdog will", { error: (err as Error).message });
    return "error";
  }
}
