import { httpHandler, json } from "#shared/http/middleware.ts";
import { statsRoutes } from "#shared/http/routes/stats.ts";
import { loadMood } from "#shared/lyrics/mood.ts";

export const handler = httpHandler(statsRoutes.statsMood, async ({ query, deps }) =>
  json(await loadMood(deps, query, deps.clock().getTime())),
);
