import { nextLink } from "#shared/export/page.ts";
import { httpHandler, json } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";

export const handler = httpHandler(routes.exportPlaysJson, async ({ query, deps, event }) => {
  const page = await deps.store.listPlays(query);
  return json(page, 200, nextLink(event.rawPath, page, query.limit));
});
