import { manualPoll } from "#shared/capture/manual.ts";
import { httpHandler, json } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";
import { spotifyFaultError } from "#shared/http/spotify-faults.ts";

export const handler = httpHandler(routes.spotifyPollCurrentPlayback, async ({ deps }) => {
  const { fault, ...result } = await manualPoll(deps);
  // A transient fault is still a poll that lost nothing; link and quota problems are the caller's to fix.
  if (fault && fault.type !== "unavailable") throw spotifyFaultError(deps.config, fault);
  return json(result);
});
