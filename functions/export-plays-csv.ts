import { nextLink } from "#shared/export/page.ts";
import { CSV_CONTENT_TYPE, playsToCsv } from "#shared/export/plays.ts";
import { httpHandler } from "#shared/http/middleware.ts";
import { historyRoutes } from "#shared/http/routes/history.ts";

export const handler = httpHandler(historyRoutes.exportPlaysCsv, async ({ query, deps, event }) => {
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
