import { httpHandler, json } from "#shared/http/middleware.ts";
import { statsRoutes } from "#shared/http/routes/stats.ts";
import { loadDashboard } from "#shared/stats/dashboard.ts";

export const handler = httpHandler(statsRoutes.dashboard, async ({ query, deps }) =>
  json(await loadDashboard(deps, query)),
);
