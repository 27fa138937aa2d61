import { httpHandler, json } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";

export const handler = httpHandler(routes.tracks, async ({ query: { sort, limit, cursor }, deps }) =>
  json(
    sort === "listen_count"
      ? await deps.store.listTracksByCount(limit, cursor)
      : await deps.store.listTracksByLastListened(limit, cursor),
  ),
);
