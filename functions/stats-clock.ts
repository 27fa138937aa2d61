import { httpHandler, json } from "#shared/http/middleware.ts";
import { statsRoutes } from "#shared/http/routes/stats.ts";
import { createStatsReader } from "#shared/stats/reader.ts";

export const handler = httpHandler(statsRoutes.statsClock, async ({ query, deps }) =>
  json(await createStatsReader(deps.store).clock(query, deps.clock().getTime())),
);
