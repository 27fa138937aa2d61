import { cacheKeys } from "#shared/cache/keys.ts";
import { httpHandler, json } from "#shared/http/middleware.ts";
import { adminRoutes } from "#shared/http/routes/admin.ts";

/**
 * What Personalify's cache clear did: forget answers kept to save Spotify calls and reads
 * (Spotify's top lists, the cards' rankings and grids). Never the loops' leases, parked listens or
 * snapshots: clearing those would start a second loop or lose a listen.
 */
export const handler = httpHandler(adminRoutes.adminClearCache, async ({ deps }) => {
  const listeners = await deps.household.listListeners();
  let cleared = 0;
  for (const l of listeners) {
    for (const prefix of [cacheKeys.spotifyTops(l.listener_id), cacheKeys.cards(l.listener_id)])
      cleared += await deps.cache.deleteByPrefix(prefix);
  }
  return json({ cleared });
});
