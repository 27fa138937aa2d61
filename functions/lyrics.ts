import { httpHandler, json } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";
import { trackLyrics } from "#shared/lyrics/service.ts";

export const handler = httpHandler(routes.lyrics, async ({ path, deps }) =>
  json(await trackLyrics(deps, path.track_id)),
);
