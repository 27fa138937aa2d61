import { httpHandler, json } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";
import { meOf } from "#shared/listeners/me.ts";

export const handler = httpHandler(routes.mePatch, async ({ body, deps }) => {
  await deps.household.update(deps.listener, { public: body.public });
  return json(await meOf(deps));
});
