import { httpHandler, json } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";
import { createStatsReader } from "#shared/stats/reader.ts";

export const handler = httpHandler(routes.statsTopArtists, async ({ query, deps }) =>
  json(
    await createStatsReader(deps.store).top("artists", query, query.by, query.limit, deps.clock().getTime()),
  ),
);
