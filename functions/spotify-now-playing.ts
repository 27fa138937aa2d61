import { loadNowPlaying } from "#shared/cards/data.ts";
import { httpHandler, json } from "#shared/http/middleware.ts";
import { spotifyRoutes } from "#shared/http/routes/spotify.ts";
import type { NowPlayingResponse } from "#shared/http/schemas.ts";

export const handler = httpHandler(spotifyRoutes.spotifyNowPlaying, async ({ deps }) => {
  const now = deps.clock();
  const { album_id: _key, ...view } = await loadNowPlaying(deps, now.getTime());
  return json({ ...view, fetched_at: now.toISOString() } satisfies NowPlayingResponse);
});
