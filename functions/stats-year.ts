import { httpHandler, json } from "#shared/http/middleware.ts";
import { statsRoutes } from "#shared/http/routes/stats.ts";
import { yearInReview } from "#shared/stats/recap.ts";

export const handler = httpHandler(statsRoutes.statsYear, async ({ query, deps }) =>
  json(await yearInReview(deps.store, query, deps.clock().getTime())),
);
