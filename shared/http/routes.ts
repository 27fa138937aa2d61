import * as z from "zod";
import { playSchema, trackSchema } from "../domain/entities.ts";
import { errorBodySchema } from "./errors.ts";
import { defineRoute, type RouteDef } from "./route.ts";
import {
  healthResponseSchema,
  playsQuerySchema,
  tokenFormSchema,
  tokenResponseSchema,
  tracksQuerySchema,
} from "./schemas.ts";

/**
 * THE route table. The CDK stack makes one Lambda + one HTTP API route per row, the local
 * server dispatches from it, and /openapi.json is generated from it. Paths keep those of the
 * service we replace.
 */

const error = (description: string) => ({ description, schema: errorBodySchema });
const pageOf = (item: z.ZodType) => z.object({ items: z.array(item), next_cursor: z.string().nullable() });

export const routes = {
  health: defineRoute({
    method: "GET",
    path: "/health",
    handler: "functions/health.ts",
    auth: "none",
    exposure: "public",
    summary: "Liveness, version, storage reachability and Spotify link state",
    tags: ["system"],
    responses: { 200: { description: "Service state", schema: healthResponseSchema } },
  }),
  token: defineRoute({
    method: "POST",
    path: "/token",
    handler: "functions/token.ts",
    auth: "none",
    exposure: "public",
    summary: "Exchange the admin username and password (OAuth2 password form) for a bearer token",
    tags: ["auth"],
    request: { body: tokenFormSchema, bodyType: "form" },
    responses: {
      200: { description: "A bearer token", schema: tokenResponseSchema },
      401: error("Wrong username or password"),
      422: error("Missing or malformed form fields"),
      429: error("Too many failed logins from this client; see Retry-After"),
      503: error("Admin login is not configured"),
    },
  }),
  plays: defineRoute({
    method: "GET",
    path: "/plays",
    handler: "functions/plays.ts",
    auth: "bearer",
    exposure: "private",
    summary: "Every recorded listen, newest first (skips included, flagged counted: false)",
    tags: ["history"],
    request: { query: playsQuerySchema },
    responses: {
      200: { description: "A page of plays", schema: pageOf(playSchema) },
      400: error("Bad query parameters or cursor"),
    },
  }),
  tracks: defineRoute({
    method: "GET",
    path: "/tracks",
    handler: "functions/tracks.ts",
    auth: "bearer",
    exposure: "private",
    summary: "Track documents with their listen counters",
    tags: ["history"],
    request: { query: tracksQuerySchema },
    responses: {
      200: { description: "A page of tracks", schema: pageOf(trackSchema) },
      400: error("Bad query parameters or cursor"),
    },
  }),
  openapi: defineRoute({
    method: "GET",
    path: "/openapi.json",
    handler: "functions/openapi.ts",
    auth: "none",
    exposure: "public",
    summary: "This API as an OpenAPI 3.1 document",
    tags: ["system"],
    responses: { 200: { description: "OpenAPI document", mediaType: "application/json" } },
  }),
  docs: defineRoute({
    method: "GET",
    path: "/docs",
    handler: "functions/docs.ts",
    auth: "none",
    exposure: "public",
    summary: "Human-readable API reference",
    tags: ["system"],
    responses: { 200: { description: "HTML page", mediaType: "text/html" } },
  }),
} as const satisfies Record<string, RouteDef>;

export type RouteId = keyof typeof routes;

/** Answers every method and path no route matches (API Gateway `$default`, local fallback). */
export const notFoundHandler = "functions/not-found.ts" as const;

export const routeList: readonly (RouteDef & { id: string })[] = Object.entries(routes).map(([id, r]) => ({
  id,
  ...(r as RouteDef),
}));
