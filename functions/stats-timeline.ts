import { httpHandler, json } from "#shared/http/middleware.ts";
import { statsRoutes } from "#shared/http/routes/stats.ts";
import { createStatsReader } from "#shared/stats/reader.ts";

export const handler = httpHandler(statsRoutes.statsTimeline, async ({ query, deps }) =>
  json(await createStatsReader(deps.store).timeline(query, query.bucket, deps.clock().getTime())),
);
