import { httpHandler, json } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";
import { meOf } from "#shared/listeners/me.ts";

export const handler = httpHandler(routes.me, async ({ deps }) => json(await meOf(deps)));
