import { httpHandler, json } from "#shared/http/middleware.ts";
import { householdRoutes } from "#shared/http/routes/household.ts";
import { summarizeAll } from "#shared/listeners/summary.ts";

export const handler = httpHandler(householdRoutes.adminListeners, async ({ deps }) =>
  json({ items: await summarizeAll(deps) }),
);
