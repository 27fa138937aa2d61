import { httpHandler, json } from "#shared/http/middleware.ts";
import { lyricsRoutes } from "#shared/http/routes/lyrics.ts";
import { analyzeText } from "#shared/lyrics/service.ts";

export const handler = httpHandler(lyricsRoutes.analyzeLyrics, async ({ body, deps }) =>
  json(await analyzeText(deps, body.text)),
);
