import { httpHandler, json } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";
import { deletePlaysBetween } from "#shared/store/delete-plays.ts";

export const handler = httpHandler(routes.deletePlays, async ({ query, deps }) =>
  json(await deletePlaysBetween(deps.store, query)),
);
