import type { RouteDef } from "./route.ts";
import { adminRoutes } from "./routes/admin.ts";
import { cardsRoutes } from "./routes/cards.ts";
import { historyRoutes } from "./routes/history.ts";
import { householdRoutes } from "./routes/household.ts";
import { lyricsRoutes } from "./routes/lyrics.ts";
import { spotifyRoutes } from "./routes/spotify.ts";
import { statsRoutes } from "./routes/stats.ts";
import { systemRoutes } from "./routes/system.ts";
import { webRoutes } from "./routes/web.ts";

/**
 * THE route table. The CDK stack makes one Lambda + one HTTP API route per row, the local
 * server dispatches from it, and /openapi.json is generated from it. Paths keep those of the
 * service we replace.
 *
 * Each row is written once, in its area's module under shared/http/routes/; this file only
 * composes them. A handler imports its route from its area module, never from here: the
 * bundle then carries that area's schemas, not every route's (the 300,000-byte budget in
 * infra/cdk/bundling.ts).
 */
export const routes = {
  ...systemRoutes,
  ...historyRoutes,
  ...spotifyRoutes,
  ...cardsRoutes,
  ...statsRoutes,
  ...lyricsRoutes,
  ...adminRoutes,
  ...webRoutes,
  ...householdRoutes,
} as const satisfies Record<string, RouteDef>;

export type RouteId = keyof typeof routes;

/** Answers every method and path no route matches (API Gateway `$default`, local fallback). */
export const notFoundHandler = "functions/not-found.ts" as const;

export const routeList: readonly (RouteDef & { id: string })[] = Object.entries(routes).map(([id, r]) => ({
  id,
  ...(r as RouteDef),
}));
