import { httpHandler, json } from "#shared/http/middleware.ts";
import { adminRoutes } from "#shared/http/routes/admin.ts";
import { systemStats } from "#shared/stats/system.ts";

export const handler = httpHandler(adminRoutes.adminSystemStats, async ({ deps }) =>
  json(await systemStats(deps)),
);
