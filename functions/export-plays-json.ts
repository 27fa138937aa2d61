import { nextLink } from "#shared/export/page.ts";
import { httpHandler, json } from "#shared/http/middleware.ts";
import { historyRoutes } from "#shared/http/routes/history.ts";

export const handler = httpHandler(historyRoutes.exportPlaysJson, async ({ query, deps, event }) => {
  const page = await deps.store.listPlays(query);
  return json(page, 200, nextLink(event.rawPath, page, query.limit));
});
