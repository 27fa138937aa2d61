import { httpHandler, json } from "#shared/http/middleware.ts";
import { lyricsRoutes } from "#shared/http/routes/lyrics.ts";
import { trackLyrics } from "#shared/lyrics/service.ts";

export const handler = httpHandler(lyricsRoutes.lyrics, async ({ path, deps }) =>
  json(await trackLyrics(deps, path.track_id)),
);
