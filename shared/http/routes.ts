import * as z from "zod";
import { playSchema, trackSchema } from "../domain/entities.ts";
import { errorBodySchema } from "./errors.ts";
import { defineRoute, type RouteDef } from "./route.ts";
import {
  backfillResultSchema,
  healthResponseSchema,
  manualPollResponseSchema,
  metadataSyncResultSchema,
  playsQuerySchema,
  spotifyAuthorizeQuerySchema,
  spotifyAuthorizeResponseSchema,
  spotifyCallbackQuerySchema,
  spotifyCallbackResponseSchema,
  syncMetadataQuerySchema,
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
  spotifyAuthorize: defineRoute({
    method: "GET",
    path: "/spotify/authorize",
    handler: "functions/spotify-authorize.ts",
    auth: "bearer",
    exposure: "private",
    summary: "Start linking Spotify: the consent URL and its single-use state (10 minutes)",
    tags: ["spotify"],
    request: { query: spotifyAuthorizeQuerySchema },
    responses: {
      200: { description: "Where to send the browser", schema: spotifyAuthorizeResponseSchema },
      302: { description: "With ?redirect=true: a redirect to Spotify's consent page" },
      400: error("Bad query parameters"),
      503: error("Spotify is not configured (names the missing SPOTIFY_* variables)"),
    },
  }),
  spotifyCallback: defineRoute({
    method: "GET",
    path: "/spotify/callback",
    handler: "functions/spotify-callback.ts",
    // A public GET that writes: it saves the Spotify link (the refresh token) in the table.
    tableAccess: "readwrite",
    // Spotify's redirect carries no bearer: the single-use state is what authenticates it.
    auth: "none",
    exposure: "public",
    summary: "Spotify's OAuth redirect target: checks the state, trades the code, saves the link",
    tags: ["spotify"],
    request: { query: spotifyCallbackQuerySchema },
    responses: {
      200: {
        description: "Linked (JSON when Accept prefers it, else a small HTML page)",
        schema: spotifyCallbackResponseSchema,
      },
      400: error("Missing, unknown, expired or reused state; access denied; missing or refused code"),
      429: error("Spotify rate-limited the code exchange; see Retry-After"),
      503: error("Spotify is not configured or unreachable"),
    },
  }),
  spotifyPollCurrentPlayback: defineRoute({
    method: "POST",
    path: "/spotify/poll/current-playback",
    handler: "functions/spotify-poll-current-playback.ts",
    auth: "bearer",
    exposure: "private",
    summary: "Poll the player once now and record what finished (reports only while the loop runs)",
    tags: ["spotify"],
    responses: {
      200: { description: "What this poll recorded and what plays now", schema: manualPollResponseSchema },
      409: error("Spotify is not linked, or the link was revoked"),
      429: error("Spotify is rate limiting; see Retry-After"),
      503: error("Spotify is unreachable"),
    },
  }),
  spotifyPollRecentlyPlayed: defineRoute({
    method: "POST",
    path: "/spotify/poll/recently-played",
    handler: "functions/spotify-poll-recently-played.ts",
    auth: "bearer",
    exposure: "private",
    summary: "Run the recently-played backfill now: match Spotify's last plays, store the unseen ones",
    tags: ["spotify"],
    responses: {
      200: { description: "What the backfill did", schema: backfillResultSchema },
      409: error("Spotify is not linked, or the link was revoked: link it at /spotify/authorize"),
      429: error("Spotify is rate limiting; see Retry-After"),
      503: error("Spotify is not configured or unreachable"),
    },
    timeoutSeconds: 29,
  }),
  spotifySyncMetadata: defineRoute({
    method: "POST",
    path: "/spotify/sync-metadata",
    handler: "functions/spotify-sync-metadata.ts",
    auth: "bearer",
    exposure: "private",
    summary: "Fetch genres, images, labels and release dates for artists and albums not synced yet",
    tags: ["spotify"],
    request: { query: syncMetadataQuerySchema },
    responses: {
      200: { description: "What the sync did", schema: metadataSyncResultSchema },
      400: error("Bad query parameters"),
      409: error("Spotify is not linked, or the link was revoked: link it at /spotify/authorize"),
      429: error("Spotify is rate limiting; see Retry-After"),
      503: error("Spotify is not configured or unreachable"),
    },
    timeoutSeconds: 29,
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
