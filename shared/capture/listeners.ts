import type { Deps } from "../deps.ts";

/**
 * The listeners whose Spotify link is usable (linked, not revoked): the ones the watchdog and
 * the hourly jobs act for. A household is a handful of accounts: one Query and a Get each.
 */
export async function linkedListeners(deps: Pick<Deps, "household">): Promise<string[]> {
  const all = await deps.household.listListeners();
  const linked = await Promise.all(
    all.map(async (l) => {
      const link = await deps.household.storeOf(l.listener_id).getSpotifyLink();
      return link && !link.needs_reauth ? l.listener_id : null;
    }),
  );
  return linked.filter((id): id is string => id !== null);
}
