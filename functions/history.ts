import { httpHandler, json } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";
import { loadTopHistory } from "#shared/spotify/top-history.ts";

export const handler = httpHandler(routes.history, async ({ query, deps }) =>
  json(await loadTopHistory(deps, query)),
);
