import { httpHandler, json } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";

export const handler = httpHandler(routes.plays, async ({ query, deps }) =>
  json(await deps.store.listPlays(query)),
);
