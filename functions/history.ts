import { httpHandler, json } from "#shared/http/middleware.ts";
import { spotifyRoutes } from "#shared/http/routes/spotify.ts";
import { loadTopHistory } from "#shared/spotify/top-history.ts";

export const handler = httpHandler(spotifyRoutes.history, async ({ query, deps }) =>
  json(await loadTopHistory(deps, query)),
);
