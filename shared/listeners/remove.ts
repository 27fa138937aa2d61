import { cacheKeys, cacheTtlMs } from "../cache/keys.ts";
import { REMOVED_LEASE } from "../capture/loop.ts";
import type { Deps } from "../deps.ts";
import type { Listener } from "../domain/listener.ts";
import { ForbiddenError } from "../errors.ts";
import { logger } from "../logger.ts";

/**
 * Removes a member and every item of theirs (DELETE /admin/listeners/{handle}, DELETE /me):
 * first what lets anything ask Spotify for them (the lease marked removed, the link, the cached
 * token), then their hoard, a bounded part per call (Household.purge), the listener last.
 * Repeat while `more`. The owner cannot be removed: the deployment is theirs.
 */
export async function purgeListener(deps: Pick<Deps, "household" | "cache" | "clock">, listener: Listener) {
  if (listener.role === "owner") {
    throw new ForbiddenError("the owner cannot be removed: the deployment is theirs", "owner_stays");
  }
  const id = listener.listener_id;
  // The listener first: while the purge takes several calls their sessions, tokens and cards
  // answer as nobody's and their account cannot sign in again (http/middleware.ts, join.ts).
  if (!listener.removing_since) {
    await deps.household.update(id, { removing_since: deps.clock().toISOString() });
  }
  // The lease is not deleted but marked: a loop still running elsewhere (a warm Lambda holds
  // the access token in memory for up to an hour) stops within seconds (loop.ts
  // removalCheckMs) instead of taking a free lease again, and the watchdog starts none.
  await deps.cache
    .set(cacheKeys.lease(id), REMOVED_LEASE, { ttlMs: cacheTtlMs.removed })
    .catch((err: unknown) => logger.warn("could not mark the lease removed", { error: String(err) }));
  // The link goes before the hoard, not with it: while a purge of several calls is unfinished,
  // the watchdog and the hourly jobs (capture/listeners.ts, linked listeners only) pass the
  // member by, and no token can be refreshed for them. A failure here fails the request: the
  // owner repeats it rather than leaving Spotify asked about someone who left.
  await deps.household.storeOf(id).deleteSpotifyLink();
  const keys = [
    cacheKeys.accessToken(id),
    cacheKeys.snapshot(id),
    cacheKeys.status(id),
    cacheKeys.parked(id),
    cacheKeys.manualState(id),
    cacheKeys.quotaUntil(id),
  ];
  await Promise.all(keys.map((k) => deps.cache.del(k).catch(() => undefined)));
  const r = await deps.household.purge(listener);
  logger.info("listener removal", { listener: id, deleted: r.deleted, more: r.more });
  return { handle: listener.handle, deleted_items: r.deleted, more: r.more };
}
