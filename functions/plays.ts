import { listPlaysFiltered } from "#shared/history/plays.ts";
import { httpHandler, json } from "#shared/http/middleware.ts";
import { historyRoutes } from "#shared/http/routes/history.ts";

export const handler = httpHandler(historyRoutes.plays, async ({ query, deps }) =>
  json(
    await listPlaysFiltered(
      deps.store,
      { listener: deps.listener, cursorSecret: deps.config.SECRET_KEY },
      query,
    ),
  ),
);
