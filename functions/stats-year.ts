import { httpHandler, json } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";
import { yearInReview } from "#shared/stats/recap.ts";

export const handler = httpHandler(routes.statsYear, async ({ query, deps }) =>
  json(await yearInReview(deps.store, query, deps.clock().getTime())),
);
