import { CSV_CONTENT_TYPE } from "#shared/export/plays.ts";
import { httpHandler } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";
import { listenersCsv, summarizeAll } from "#shared/listeners/summary.ts";

export const handler = httpHandler(routes.adminListenersCsv, async ({ deps }) => ({
  status: 200,
  text: listenersCsv(await summarizeAll(deps)),
  headers: {
    "Content-Type": CSV_CONTENT_TYPE,
    "Content-Disposition": 'attachment; filename="listeners.csv"',
    "Cache-Control": "no-store",
  },
}));
