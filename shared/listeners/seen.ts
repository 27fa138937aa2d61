import type { Deps } from "../deps.ts";
import type { Listener } from "../domain/listener.ts";
import { logger } from "../logger.ts";
import type { Household } from "../store/household.ts";

/** `last_seen_at` is written at most this often per listener: a hint, not an access log. */
export const SEEN_EVERY_MS = 3_600_000;

/** When this process last tried to note each listener (per household: one per test world). */
const tried = new WeakMap<Household, Map<string, number>>();

/**
 * Notes that `listener` used the API (a bearer token or a session), throttled so it costs
 * nothing measurable: nothing when the listener item the request read anyway says they were
 * seen within the hour (members), nothing when this process tried within the hour (the owner,
 * whose token is taken without a read), else one conditional UpdateItem that another process's
 * write within the hour turns into a no-op (shared/store/last-seen.ts). Never fails a request:
 * a failed write is logged and tried again an hour later.
 */
export async function noteSeen(deps: Pick<Deps, "household" | "clock">, listener: Listener): Promise<void> {
  const now = deps.clock();
  const staleBefore = now.getTime() - SEEN_EVERY_MS;
  const seen = listener.last_seen_at ? Date.parse(listener.last_seen_at) : Number.NaN;
  if (seen > staleBefore) return;
  const byListener = tried.get(deps.household) ?? new Map<string, number>();
  tried.set(deps.household, byListener);
  const last = byListener.get(listener.listener_id);
  if (last !== undefined && last > staleBefore) return;
  byListener.set(listener.listener_id, now.getTime());
  try {
    await deps.household.markSeen(listener.listener_id, now, new Date(staleBefore));
  } catch (err) {
    logger.warn("could not note when the listener was last seen", { error: (err as Error).message });
  }
}
