import { httpHandler, json } from "#shared/http/middleware.ts";
import { statsRoutes } from "#shared/http/routes/stats.ts";
import { createStatsReader } from "#shared/stats/reader.ts";

export const handler = httpHandler(statsRoutes.statsTopGenres, async ({ query, deps }) =>
  json(await createStatsReader(deps.store).topGenres(query, query.by, query.limit, deps.clock().getTime())),
);
