import { manualPoll } from "#shared/capture/manual.ts";
import { httpHandler, json } from "#shared/http/middleware.ts";
import { spotifyRoutes } from "#shared/http/routes/spotify.ts";
import { spotifyFaultError } from "#shared/spotify/faults.ts";

export const handler = httpHandler(spotifyRoutes.spotifyPollCurrentPlayback, async ({ deps }) => {
  const { fault, ...result } = await manualPoll(deps);
  // A transient fault is still a poll that lost nothing; link and quota problems are the caller's to fix.
  if (fault && fault.type !== "unavailable") throw spotifyFaultError(deps.config, fault);
  // The loop reads the link from the table, so "unavailable" may be our storage, not Spotify:
  // one read tells them apart, and a storage outage then answers 503 like every storage route.
  if (fault) await deps.store.getSpotifyLink();
  return json(result);
});
