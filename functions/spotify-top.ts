import { httpHandler, json } from "#shared/http/middleware.ts";
import { spotifyRoutes } from "#shared/http/routes/spotify.ts";
import { spotifyTop } from "#shared/spotify/top.ts";

export const handler = httpHandler(spotifyRoutes.spotifyTop, async ({ query, deps }) =>
  json(await spotifyTop(deps, query)),
);
