import { httpHandler, json } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";
import { createStatsReader } from "#shared/stats/reader.ts";

export const handler = httpHandler(routes.statsTopGenres, async ({ query, deps }) =>
  json(await createStatsReader(deps.store).topGenres(query, query.by, query.limit, deps.clock().getTime())),
);
