import { playSchema, trackSchema } from "../../domain/entities.ts";
import { playsFilterQuerySchema } from "../recap-schemas.ts";
import { defineRoute, type RouteDef } from "../route.ts";
import {
  deletePlayResponseSchema,
  deletePlaysQuerySchema,
  deletePlaysResponseSchema,
  exportQuerySchema,
  importQuerySchema,
  importSummarySchema,
  playIdPathSchema,
  tracksQuerySchema,
} from "../schemas.ts";
import { error, pageOf } from "./common.ts";

export const historyRoutes = {
  plays: defineRoute({
    method: "GET",
    path: "/plays",
    handler: "functions/plays.ts",
    auth: "bearer",
    exposure: "private",
    summary:
      "Every recorded listen, newest first (skips included, flagged counted: false); filter by " +
      "from/to, track_id, artist_id, counted",
    tags: ["history"],
    request: { query: playsFilterQuerySchema },
    responses: {
      200: { description: "A page of plays", schema: pageOf(playSchema) },
      400: error("Bad query parameters or cursor"),
    },
  }),
  deletePlay: defineRoute({
    method: "DELETE",
    path: "/plays/{id}",
    handler: "functions/plays-delete.ts",
    auth: "bearer",
    exposure: "private",
    summary:
      "Delete one play (id: listened_at#track_id, # sent as %23) and take back its counters and " +
      "statistics in the same transaction; a second delete finds nothing (404) and reverses nothing",
    tags: ["history"],
    request: { path: playIdPathSchema },
    responses: {
      200: { description: "The play that was deleted", schema: deletePlayResponseSchema },
      400: error("Not a play id"),
      404: error("No such play (never stored, or deleted already)"),
    },
  }),
  deletePlays: defineRoute({
    method: "DELETE",
    path: "/plays",
    handler: "functions/plays-delete-range.ts",
    auth: "bearer",
    exposure: "private",
    summary:
      "Delete the plays with from <= listened_at < to (both required), at most `limit` per call, " +
      "each with its counters in one transaction, as DELETE /plays/{id}; repeat while `more` is true",
    tags: ["history"],
    request: { query: deletePlaysQuerySchema },
    responses: {
      200: { description: "How many were deleted", schema: deletePlaysResponseSchema },
      400: error("Missing or bad from, to or limit"),
    },
    timeoutSeconds: 29,
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
  importPlays: defineRoute({
    method: "POST",
    path: "/import",
    handler: "functions/import.ts",
    auth: "bearer",
    exposure: "private",
    summary:
      "Import one streaming-history file sent as the body: Spotify's Extended (Streaming_History_Audio_*.json) " +
      "or account-data (StreamingHistory*.json) export, or our own JSON/CSV export. At most 6 MB (Lambda's " +
      "request limit; API Gateway's is 10 MB): split bigger files or use `npm run import`. Matched against " +
      "the hoard, idempotent; `status: partial` means the 15 s budget ran out: send the same body again to resume",
    tags: ["history"],
    request: { query: importQuerySchema },
    responses: {
      200: { description: "What the import did", schema: importSummarySchema },
      400: error("Bad query parameters"),
      413: error("The body is larger than the 6 MB Lambda accepts"),
      409: error("The same file is being imported by another run right now; send it again later"),
      422: error("The file is malformed or not a streaming history: names the entry (body[i].field)"),
    },
    timeoutSeconds: 29,
    memoryMb: 1024,
  }),
  exportPlaysJson: defineRoute({
    method: "GET",
    path: "/export/plays.json",
    handler: "functions/export-plays-json.ts",
    tableAccess: "read",
    auth: "bearer",
    exposure: "private",
    summary:
      "Every play with every field, newest first, one page per call (API Gateway cannot stream): follow " +
      'next_cursor or the `Link: <…>; rel="next"` header. Importable again (POST /import, npm run import)',
    tags: ["history"],
    request: { query: exportQuerySchema },
    responses: {
      200: { description: "A page of plays", schema: pageOf(playSchema) },
      400: error("Bad query parameters or cursor"),
    },
  }),
  exportPlaysCsv: defineRoute({
    method: "GET",
    path: "/export/plays.csv",
    handler: "functions/export-plays-csv.ts",
    tableAccess: "read",
    auth: "bearer",
    exposure: "private",
    summary:
      "Every play as RFC 4180 CSV (header on every page, artists as JSON, null as an empty cell), one page " +
      'per call: the next page is in the `Link: <…>; rel="next"` and X-Next-Cursor headers. Importable again',
    tags: ["history"],
    request: { query: exportQuerySchema },
    responses: {
      200: { description: "A page of plays as CSV", mediaType: "text/csv" },
      400: error("Bad query parameters or cursor"),
    },
  }),
} as const satisfies Record<string, RouteDef>;
