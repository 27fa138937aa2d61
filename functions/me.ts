import { httpHandler, json } from "#shared/http/middleware.ts";
import { householdRoutes } from "#shared/http/routes/household.ts";
import { meOf } from "#shared/listeners/me.ts";

export const handler = httpHandler(householdRoutes.me, async ({ deps }) => json(await meOf(deps)));
