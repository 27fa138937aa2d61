import { httpHandler, json } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";
import { summarizeAll } from "#shared/listeners/summary.ts";

export const handler = httpHandler(routes.adminListeners, async ({ deps }) =>
  json({ items: await summarizeAll(deps) }),
);
