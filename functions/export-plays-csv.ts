import { nextLink } from "#shared/export/page.ts";
import { CSV_CONTENT_TYPE, playsToCsv } from "#shared/export/plays.ts";
import { httpHandler } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";

export const handler = httpHandler(routes.exportPlaysCsv, async ({ query, deps, event }) => {
  const page = await deps.store.listPlays(query);
  return {
    text: playsToCsv(page.items),
    headers: {
      "Content-Type": CSV_CONTENT_TYPE,
      "Cache-Control": "no-store",
      ...nextLink(event.rawPath, page, query.limit),
    },
  };
});
