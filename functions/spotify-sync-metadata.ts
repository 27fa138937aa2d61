import { jobReply } from "#shared/capture/backfill.ts";
import { runMetadataSyncJob } from "#shared/capture/metadata-sync.ts";
import { httpHandler, json } from "#shared/http/middleware.ts";
import { spotifyRoutes } from "#shared/http/routes/spotify.ts";

export const handler = httpHandler(spotifyRoutes.spotifySyncMetadata, async ({ query, deps }) =>
  json(jobReply(deps.config, await runMetadataSyncJob(deps, "http", { limit: query.limit }))),
);
