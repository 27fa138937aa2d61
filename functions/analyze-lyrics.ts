import { httpHandler, json } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";
import { analyzeText } from "#shared/lyrics/service.ts";

export const handler = httpHandler(routes.analyzeLyrics, async ({ body, deps }) =>
  json(await analyzeText(deps, body.text)),
);
