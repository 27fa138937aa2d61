import { httpHandler, json } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";
import { systemStats } from "#shared/stats/system.ts";

export const handler = httpHandler(routes.adminSystemStats, async ({ deps }) =>
  json(await systemStats(deps)),
);
