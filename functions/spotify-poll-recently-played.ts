import { jobReply, runBackfillJob } from "#shared/capture/backfill.ts";
import { httpHandler, json } from "#shared/http/middleware.ts";
import { spotifyRoutes } from "#shared/http/routes/spotify.ts";

export const handler = httpHandler(spotifyRoutes.spotifyPollRecentlyPlayed, async ({ deps }) =>
  json(jobReply(deps.config, await runBackfillJob(deps, "http"))),
);
