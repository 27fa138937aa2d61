import { httpHandler, json } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";
import { loadMood } from "#shared/lyrics/mood.ts";

export const handler = httpHandler(routes.statsMood, async ({ query, deps }) =>
  json(await loadMood(deps, query, deps.clock().getTime())),
);
