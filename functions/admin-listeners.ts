import { httpHandler, json } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";
import { summarize } from "#shared/listeners/summary.ts";

export const handler = httpHandler(routes.adminListeners, async ({ deps }) => {
  const listeners = await deps.household.listListeners();
  return json({ items: await Promise.all(listeners.map((l) => summarize(deps, l))) });
});
