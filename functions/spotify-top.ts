import { httpHandler, json } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";
import { spotifyTop } from "#shared/spotify/top.ts";

export const handler = httpHandler(routes.spotifyTop, async ({ query, deps }) =>
  json(await spotifyTop(deps, query)),
);
