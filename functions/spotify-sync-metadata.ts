import { jobReply } from "#shared/capture/backfill.ts";
import { runMetadataSyncJob } from "#shared/capture/metadata-sync.ts";
import { httpHandler, json } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";

export const handler = httpHandler(routes.spotifySyncMetadata, async ({ query, deps }) =>
  json(jobReply(deps.config, await runMetadataSyncJob(deps, "http", { limit: query.limit }))),
);
