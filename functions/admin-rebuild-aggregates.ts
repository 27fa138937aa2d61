import { conflict } from "#shared/http/errors.ts";
import { httpHandler, json } from "#shared/http/middleware.ts";
import { adminRoutes } from "#shared/http/routes/admin.ts";
import { RebuildRefused, runRebuildJob } from "#shared/stats/rebuild.ts";

export const handler = httpHandler(adminRoutes.adminRebuildAggregates, async ({ deps }) => {
  try {
    return json(await runRebuildJob(deps, "http"));
  } catch (err) {
    if (err instanceof RebuildRefused) throw conflict(err.message);
    throw err;
  }
});
