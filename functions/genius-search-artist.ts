import { httpHandler, json } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";
import { geniusClientOf } from "#shared/lyrics/service.ts";

export const handler = httpHandler(routes.geniusSearchArtist, async ({ query, deps }) =>
  json({ artists: await geniusClientOf(deps).searchArtists(query.q) }),
);
