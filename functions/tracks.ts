import { httpHandler, json } from "#shared/http/middleware.ts";
import { historyRoutes } from "#shared/http/routes/history.ts";

export const handler = httpHandler(historyRoutes.tracks, async ({ query: { sort, limit, cursor }, deps }) =>
  json(
    sort === "listen_count"
      ? await deps.store.listTracksByCount(limit, cursor)
      : await deps.store.listTracksByLastListened(limit, cursor),
  ),
);
