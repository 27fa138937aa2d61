import { CSV_CONTENT_TYPE } from "#shared/export/plays.ts";
import { httpHandler } from "#shared/http/middleware.ts";
import { householdRoutes } from "#shared/http/routes/household.ts";
import { listenersCsv, summarizeAll } from "#shared/listeners/summary.ts";

export const handler = httpHandler(householdRoutes.adminListenersCsv, async ({ deps }) => ({
  status: 200,
  text: listenersCsv(await summarizeAll(deps)),
  headers: {
    "Content-Type": CSV_CONTENT_TYPE,
    "Content-Disposition": 'attachment; filename="listeners.csv"',
    "Cache-Control": "no-store",
  },
}));
