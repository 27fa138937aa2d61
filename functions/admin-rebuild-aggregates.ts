import { conflict } from "#shared/http/errors.ts";
import { httpHandler, json } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";
import { RebuildRefused, runRebuildJob } from "#shared/stats/rebuild.ts";

export const handler = httpHandler(routes.adminRebuildAggregates, async ({ deps }) => {
  try {
    return json(await runRebuildJob(deps, "http"));
  } catch (err) {
    if (err instanceof RebuildRefused) throw conflict(err.message);
    throw err;
  }
});
