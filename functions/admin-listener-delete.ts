import { notFound } from "#shared/http/errors.ts";
import { httpHandler, json } from "#shared/http/middleware.ts";
import { householdRoutes } from "#shared/http/routes/household.ts";
import { purgeListener } from "#shared/listeners/remove.ts";

export const handler = httpHandler(householdRoutes.adminListenerDelete, async ({ path, deps }) => {
  const listener = await deps.household.findByHandle(path.handle);
  if (!listener) throw notFound(`no listener has the handle ${JSON.stringify(path.handle)}`);
  return json(await purgeListener(deps, listener));
});
