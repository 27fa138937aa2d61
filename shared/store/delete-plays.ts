import { mapLimit } from "../concurrency.ts";
import type { Store } from "./port.ts";

/**
 * Deletes up to `limit` plays of [from, to), newest first, each with its own transaction
 * (Store.deletePlay). Bounded per call so a request ends well within API Gateway's 30 s;
 * deleted plays leave the listing, so calling again continues where this stopped.
 */
export async function deletePlaysBetween(
  store: Store,
  q: { from: string; to: string; limit: number },
): Promise<{ deleted: number; more: boolean }> {
  const page = await store.listPlays({ from: q.from, to: q.to, limit: q.limit });
  // A few at a time: plays of one track contend on its item, and the table on one partition.
  const done = await mapLimit(page.items, 4, (p) => store.deletePlay(p.listened_at, p.track_id));
  return { deleted: done.filter((p) => p !== null).length, more: page.next_cursor !== null };
}
