import { CSV_CONTENT_TYPE } from "#shared/export/plays.ts";
import { httpHandler } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";
import { listenersCsv, summarize } from "#shared/listeners/summary.ts";

export const handler = httpHandler(routes.adminListenersCsv, async ({ deps }) => {
  const listeners = await deps.household.listListeners();
  const items = await Promise.all(listeners.map((l) => summarize(deps, l)));
  return {
    status: 200,
    text: listenersCsv(items),
    headers: {
      "Content-Type": CSV_CONTENT_TYPE,
      "Content-Disposition": 'attachment; filename="listeners.csv"',
      "Cache-Control": "no-store",
    },
  };
});
