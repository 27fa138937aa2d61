import { httpHandler, json } from "#shared/http/middleware.ts";
import { lyricsRoutes } from "#shared/http/routes/lyrics.ts";
import { geniusClientOf } from "#shared/lyrics/service.ts";

export const handler = httpHandler(lyricsRoutes.geniusSearchArtist, async ({ query, deps }) =>
  json({ artists: await geniusClientOf(deps).searchArtists(query.q) }),
);
