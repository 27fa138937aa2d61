import { clearCacheResponseSchema } from "../household-schemas.ts";
import { defineRoute, type RouteDef } from "../route.ts";
import { rebuildResultSchema, systemStatsResponseSchema } from "../schemas.ts";
import { error } from "./common.ts";

export const adminRoutes = {
  adminSystemStats: defineRoute({
    method: "GET",
    path: "/admin/system-stats",
    handler: "functions/admin-system-stats.ts",
    auth: "bearer",
    audience: "owner",
    exposure: "private",
    tableAccess: "read",
    summary: "Counts of plays, tracks, artists, albums; table size; cache; loop state; last job runs",
    tags: ["admin"],
    responses: { 200: { description: "System statistics", schema: systemStatsResponseSchema } },
  }),
  adminRebuildAggregates: defineRoute({
    method: "POST",
    path: "/admin/rebuild-aggregates",
    handler: "functions/admin-rebuild-aggregates.ts",
    auth: "bearer",
    audience: "owner",
    exposure: "private",
    summary:
      "Recompute every aggregate and count from the plays (idempotent; large hoards: npm run rebuild-aggregates)",
    tags: ["admin"],
    responses: {
      200: { description: "What the rebuild wrote", schema: rebuildResultSchema },
      409: error("An import was interrupted mid-chunk: run it again to finish it, then rebuild"),
    },
    // One full-table scan and a rewrite of every aggregate: API Gateway's limit, and memory
    // (CPU) to fold the plays quickly.
    timeoutSeconds: 29,
    memoryMb: 1024,
  }),
  adminClearCache: defineRoute({
    method: "POST",
    path: "/admin/clear-cache",
    handler: "functions/admin-clear-cache.ts",
    auth: "bearer",
    audience: "owner",
    exposure: "private",
    tableAccess: "read",
    summary:
      "Forget every listener's cached Spotify top lists and cards (never a loop's lease or parked listens)",
    tags: ["admin"],
    responses: { 200: { description: "How many keys were cleared", schema: clearCacheResponseSchema } },
  }),
} as const satisfies Record<string, RouteDef>;
