import { httpHandler, json } from "#shared/http/middleware.ts";
import { historyRoutes } from "#shared/http/routes/history.ts";
import { deletePlaysBetween } from "#shared/store/delete-plays.ts";

export const handler = httpHandler(historyRoutes.deletePlays, async ({ query, deps }) =>
  json(await deletePlaysBetween(deps.store, query)),
);
