import { notFound } from "#shared/http/errors.ts";
import { httpHandler, json } from "#shared/http/middleware.ts";
import { statsRoutes } from "#shared/http/routes/stats.ts";
import { trackDetail } from "#shared/stats/detail.ts";

export const handler = httpHandler(statsRoutes.statsTrack, async ({ path, query, deps }) => {
  const detail = await trackDetail(deps.store, path.track_id, query, deps.clock().getTime());
  if (!detail) throw notFound(`never listened to track ${JSON.stringify(path.track_id)}`);
  return json(detail);
});
