import { httpHandler, json } from "#shared/http/middleware.ts";
import { lyricsRoutes } from "#shared/http/routes/lyrics.ts";
import { geniusLyrics } from "#shared/lyrics/service.ts";

export const handler = httpHandler(lyricsRoutes.geniusLyrics, async ({ path, deps }) =>
  json(await geniusLyrics(deps, path.song_id)),
);
