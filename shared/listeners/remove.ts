import { cacheKeys } from "../cache/keys.ts";
import type { Deps } from "../deps.ts";
import type { Listener } from "../domain/listener.ts";
import { logger } from "../logger.ts";

/**
 * Removes a member and every item of theirs (DELETE /admin/listeners/{handle}, DELETE /me):
 * first what keeps their loop going (the Spotify link, the cached token and lease), then their
 * hoard, a bounded part per call (Household.purge), the listener last. Repeat while `more`.
 */
export async function purgeListener(deps: Pick<Deps, "household" | "cache">, listener: Listener) {
  const id = listener.listener_id;
  const keys = [
    cacheKeys.accessToken(id),
    cacheKeys.lease(id),
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
