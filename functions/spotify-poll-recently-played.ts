import { jobReply, runBackfillJob } from "#shared/capture/backfill.ts";
import { httpHandler, json } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";

export const handler = httpHandler(routes.spotifyPollRecentlyPlayed, async ({ deps }) =>
  json(jobReply(deps.config, await runBackfillJob(deps, "http"))),
);
