import { notFound } from "#shared/http/errors.ts";
import { httpHandler, json } from "#shared/http/middleware.ts";
import { statsRoutes } from "#shared/http/routes/stats.ts";
import { artistDetail } from "#shared/stats/detail.ts";

export const handler = httpHandler(statsRoutes.statsArtist, async ({ path, query, deps }) => {
  const detail = await artistDetail(deps.store, path.artist_id, query, deps.clock().getTime());
  if (!detail) throw notFound(`never listened to a track by artist ${JSON.stringify(path.artist_id)}`);
  return json(detail);
});
