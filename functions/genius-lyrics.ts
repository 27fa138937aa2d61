import { httpHandler, json } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";
import { geniusLyrics } from "#shared/lyrics/service.ts";

export const handler = httpHandler(routes.geniusLyrics, async ({ path, deps }) =>
  json(await geniusLyrics(deps, path.song_id)),
);
