import { httpHandler, json } from "#shared/http/middleware.ts";
import { statsRoutes } from "#shared/http/routes/stats.ts";
import { createStatsReader } from "#shared/stats/reader.ts";

export const handler = httpHandler(statsRoutes.statsTopAlbums, async ({ query, deps }) =>
  json(
    await createStatsReader(deps.store).top("albums", query, query.by, query.limit, deps.clock().getTime()),
  ),
);
