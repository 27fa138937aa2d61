import { httpHandler, json } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";
import { createStatsReader } from "#shared/stats/reader.ts";

export const handler = httpHandler(routes.statsClock, async ({ query, deps }) =>
  json(await createStatsReader(deps.store).clock(query, deps.clock().getTime())),
);
