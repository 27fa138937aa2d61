import { listPlaysFiltered } from "#shared/history/plays.ts";
import { httpHandler, json } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";

export const handler = httpHandler(routes.plays, async ({ query, deps }) =>
  json(
    await listPlaysFiltered(
      deps.store,
      { listener: deps.listener, cursorSecret: deps.config.SECRET_KEY },
      query,
    ),
  ),
);
