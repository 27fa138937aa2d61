import { cacheKeys } from "#shared/cache/keys.ts";
import type { LoopStatus } from "#shared/capture/runner.ts";
import { missingSpotifyConfig, SPOTIFY_SETTINGS } from "#shared/config.ts";
import { httpHandler, json } from "#shared/http/middleware.ts";
import { systemRoutes } from "#shared/http/routes/system.ts";
import type { HealthResponse } from "#shared/http/schemas.ts";
import { logger } from "#shared/logger.ts";
import { DependencyUnavailableError } from "#shared/outage.ts";
import { VERSION } from "#shared/version.ts";

export const handler = httpHandler(systemRoutes.health, async ({ deps }) => {
  const { config, store, cache, clock, listener } = deps;
  let storage: HealthResponse["storage"] = { reachable: true, table: config.TABLE_NAME };
  let link: Awaited<ReturnType<typeof store.getSpotifyLink>> | "unknown" = null;
  try {
    link = await store.getSpotifyLink();
  } catch (err) {
    link = "unknown";
    logger.warn("health: storage unreachable", { error: (err as Error).message });
    const reason = err instanceof DependencyUnavailableError ? err.reason : (err as Error).name;
    storage = { reachable: false, table: config.TABLE_NAME, error: reason };
  }
  const cacheOk = await cache.ping().catch(() => false);
  const loop = cacheOk ? await cache.get<LoopStatus>(cacheKeys.status(listener)).catch(() => null) : null;
  const missing = missingSpotifyConfig(config);
  // None set is a choice (not linked yet); some set is a deploy that forgot one.
  const spotifyHalfSet = missing.length > 0 && missing.length < SPOTIFY_SETTINGS.length;
  const body: HealthResponse = {
    status: storage.reachable && cacheOk && !spotifyHalfSet ? "ok" : "degraded",
    version: VERSION,
    time: clock().toISOString(),
    storage,
    cache: { kind: cache.kind, reachable: cacheOk },
    spotify: {
      configured: missing.length === 0,
      missing,
      linked: link === "unknown" ? link : link !== null,
      needs_reauth: link === "unknown" ? link : (link?.needs_reauth ?? false),
    },
    loop: { last_successful_poll_at: loop?.last_successful_poll_at ?? null },
  };
  // 503 lets a load balancer or uptime check see a broken dependency without parsing JSON.
  return json(body, body.status === "ok" ? 200 : 503);
});
