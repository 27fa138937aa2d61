import { httpHandler, json } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";
import { runRebuildJob } from "#shared/stats/rebuild.ts";

export const handler = httpHandler(routes.adminRebuildAggregates, async ({ deps }) =>
  json(await runRebuildJob(deps, "http")),
);
