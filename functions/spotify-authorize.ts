import { missingSpotifyConfig } from "#shared/config.ts";
import { unavailable } from "#shared/http/errors.ts";
import { httpHandler, json } from "#shared/http/middleware.ts";
import { spotifyRoutes } from "#shared/http/routes/spotify.ts";
import type { SpotifyAuthorizeResponse } from "#shared/http/schemas.ts";
import { createOAuthState, createSpotifyClient } from "#shared/spotify/client.ts";

export const handler = httpHandler(spotifyRoutes.spotifyAuthorize, async ({ query, deps }) => {
  const missing = missingSpotifyConfig(deps.config);
  if (missing.length > 0) {
    throw unavailable(`Spotify is not configured: set ${missing.join(", ")}`, "not_configured");
  }
  const { state, expires_in } = await createOAuthState(deps.cache, deps.clock(), { listener: deps.listener });
  const url = createSpotifyClient(deps).authorizeUrl(state);
  if (query.redirect)
    return { status: 302, headers: { Location: url, "Cache-Control": "no-store" }, text: "" };
  const reply: SpotifyAuthorizeResponse = { url, state, expires_in };
  return json(reply);
});
