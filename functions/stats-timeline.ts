import { httpHandler, json } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";
import { createStatsReader } from "#shared/stats/reader.ts";

export const handler = httpHandler(routes.statsTimeline, async ({ query, deps }) =>
  json(await createStatsReader(deps.store).timeline(query, query.bucket, deps.clock().getTime())),
);
