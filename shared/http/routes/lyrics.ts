import type * as z from "zod";
import {
  analysisRunResponseSchema,
  analyzeLyricsBodySchema,
  analyzeLyricsResponseSchema,
  geniusArtistPathSchema,
  geniusArtistSongsResponseSchema,
  geniusArtistsResponseSchema,
  geniusLyricsResponseSchema,
  geniusSearchQuerySchema,
  geniusSongPathSchema,
  geniusSongsQuerySchema,
  trackIdPathSchema,
  trackLyricsResponseSchema,
} from "../lyrics-schemas.ts";
import { defineRoute, type RouteDef } from "../route.ts";
import { error } from "./common.ts";

/** A Genius route: bearer, answers 503 until GENIUS_ACCESS_TOKEN is set. */
const geniusRoute = <Q extends z.ZodType = z.ZodType, P extends z.ZodType = z.ZodType>(
  path: string,
  handler: `functions/${string}.ts`,
  summary: string,
  request: { query?: Q; path?: P },
  schema: z.ZodType,
  extra: Record<number, { description: string; schema: z.ZodType }> = {},
) =>
  defineRoute<Q, z.ZodType, P>({
    method: "GET",
    path,
    handler,
    auth: "bearer",
    exposure: "private",
    summary,
    tags: ["lyrics"],
    request,
    responses: {
      200: { description: summary, schema },
      400: error("Bad query or path parameter (named in `fields`)"),
      ...extra,
      429: error("Genius or LRCLIB is rate limiting; see Retry-After"),
      503: error("GENIUS_ACCESS_TOKEN is not set (not_configured), or Genius is unreachable"),
    },
  });

export const lyricsRoutes = {
  lyrics: defineRoute({
    method: "GET",
    path: "/lyrics/{track_id}",
    handler: "functions/lyrics.ts",
    auth: "bearer",
    exposure: "private",
    summary:
      "A stored track's lyrics (LRCLIB; plain and synced) and its emotions from the background analysis. " +
      "Looked up once on a miss and kept; a miss is asked again after 30 days",
    tags: ["lyrics"],
    request: { path: trackIdPathSchema },
    responses: {
      200: { description: "Lyrics (or instrumental) and emotions", schema: trackLyricsResponseSchema },
      400: error("Bad track id"),
      404: error("No such track in the hoard, or LRCLIB has no lyrics for it (with the retry date)"),
      429: error("LRCLIB is rate limiting; see Retry-After"),
      503: error("LRCLIB is unreachable"),
    },
  }),
  analyzeLyrics: defineRoute({
    method: "POST",
    path: "/analyze-lyrics",
    handler: "functions/analyze-lyrics.ts",
    auth: "bearer",
    exposure: "private",
    // Reads only to check a member's token against their listener item (the owner's needs none).
    tableAccess: "read",
    summary: "The emotions of a text (Hugging Face, HF_MODEL), every label best first",
    tags: ["lyrics"],
    request: { body: analyzeLyricsBodySchema },
    responses: {
      200: { description: "Emotion scores", schema: analyzeLyricsResponseSchema },
      422: error("Missing, empty or too long text"),
      429: error("Hugging Face is rate limiting; see Retry-After"),
      503: error(
        "HF_TOKEN is not set (not_configured), the model is loading (model_loading, Retry-After), or Hugging Face is unreachable",
      ),
    },
    // A cold model asks for tens of seconds; the route waits up to 15 s of it.
    timeoutSeconds: 29,
  }),
  analysisRun: defineRoute({
    method: "POST",
    path: "/analysis/run",
    handler: "functions/analysis-run.ts",
    auth: "bearer",
    // The run spends the household's Hugging Face and LRCLIB quota: the owner decides.
    audience: "owner",
    exposure: "private",
    // On AWS it reads the run's lease (cache) and invokes the analysis function; the table only
    // to refuse a member's token (their listener item), never for the owner's.
    tableAccess: "read",
    startsAnalysis: true,
    summary:
      "Start a background analysis run now (lyrics, then emotions, most played tracks first, " +
      "ANALYSIS_TRACKS_PER_RUN at most); progress in /admin/system-stats",
    tags: ["lyrics"],
    responses: {
      202: { description: "Started", schema: analysisRunResponseSchema },
      409: error("A run is in progress"),
    },
  }),
  geniusSearchArtist: geniusRoute(
    "/genius/search-artist",
    "functions/genius-search-artist.ts",
    "Artists on Genius whose songs match q, most relevant first",
    { query: geniusSearchQuerySchema },
    geniusArtistsResponseSchema,
  ),
  geniusAutocomplete: geniusRoute(
    "/genius/autocomplete",
    "functions/genius-autocomplete.ts",
    "Up to 8 Genius artists with a picture, for a search box",
    { query: geniusSearchQuerySchema },
    geniusArtistsResponseSchema,
  ),
  geniusArtistSongs: geniusRoute(
    "/genius/artist-songs/{id}",
    "functions/genius-artist-songs.ts",
    "A Genius artist's songs by release date, one page at a time",
    { path: geniusArtistPathSchema, query: geniusSongsQuerySchema },
    geniusArtistSongsResponseSchema,
    { 404: error("Genius knows no such artist") },
  ),
  geniusLyrics: {
    ...geniusRoute(
      "/genius/lyrics/{song_id}",
      "functions/genius-lyrics.ts",
      "A Genius song with its lyrics (from LRCLIB by title and artist) and their emotions, kept once analysed",
      { path: geniusSongPathSchema },
      geniusLyricsResponseSchema,
      { 404: error("Genius knows no such song") },
    ),
    tableAccess: "readwrite",
    timeoutSeconds: 29,
  },
} as const satisfies Record<string, RouteDef>;
