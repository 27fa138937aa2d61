import { httpHandler, json } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";
import { meOf } from "#shared/listeners/me.ts";

export const handler = httpHandler(routes.mePatch, async ({ body, deps }) => {
  await deps.household.update(deps.listener, {
    ...(body.public === undefined ? {} : { public: body.public }),
    ...(body.year_card === undefined ? {} : { year_card: body.year_card }),
  });
  return json(await meOf(deps));
});
