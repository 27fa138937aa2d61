import { httpHandler, json } from "#shared/http/middleware.ts";
import { householdRoutes } from "#shared/http/routes/household.ts";
import { meOf } from "#shared/listeners/me.ts";

export const handler = httpHandler(householdRoutes.mePatch, async ({ body, deps }) => {
  await deps.household.update(deps.listener, {
    ...(body.public === undefined ? {} : { public: body.public }),
    ...(body.year_card === undefined ? {} : { year_card: body.year_card }),
  });
  return json(await meOf(deps));
});
