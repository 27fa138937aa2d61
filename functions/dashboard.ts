import { httpHandler, json } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";
import { loadDashboard } from "#shared/stats/dashboard.ts";

export const handler = httpHandler(routes.dashboard, async ({ query, deps }) =>
  json(await loadDashboard(deps, query)),
);
