import { notFound } from "#shared/http/errors.ts";
import { httpHandler, json } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";
import { trackDetail } from "#shared/stats/detail.ts";

export const handler = httpHandler(routes.statsTrack, async ({ path, query, deps }) => {
  const detail = await trackDetail(deps.store, path.track_id, query, deps.clock().getTime());
  if (!detail) throw notFound(`never listened to track ${JSON.stringify(path.track_id)}`);
  return json(detail);
});
