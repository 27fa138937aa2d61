import * as z from "zod";
import { playSchema, trackSchema } from "../domain/entities.ts";
import { errorBodySchema } from "./errors.ts";
import { historyQuerySchema, historyResponseSchema } from "./history-schemas.ts";
import {
  clearCacheResponseSchema,
  deleteListenerResponseSchema,
  handlePathSchema,
  inviteBodySchema,
  inviteResponseSchema,
  listenerReportSchema,
  listenersResponseSchema,
  loginQuerySchema,
  mePatchSchema,
  meResponseSchema,
} from "./household-schemas.ts";
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
} from "./lyrics-schemas.ts";
import {
  artistIdPathSchema,
  artistStatsResponseSchema,
  itemStatsQuerySchema,
  playsFilterQuerySchema,
  trackStatsResponseSchema,
  yearQuerySchema,
  yearResponseSchema,
} from "./recap-schemas.ts";
import { defineRoute, type RouteDef } from "./route.ts";
import {
  backfillResultSchema,
  dashboardQuerySchema,
  dashboardResponseSchema,
  deletePlayResponseSchema,
  deletePlaysQuerySchema,
  deletePlaysResponseSchema,
  exportQuerySchema,
  healthResponseSchema,
  importQuerySchema,
  importSummarySchema,
  manualPollResponseSchema,
  metadataSyncResultSchema,
  moodResponseSchema,
  nowPlayingCardQuerySchema,
  nowPlayingResponseSchema,
  playIdPathSchema,
  rebuildResultSchema,
  recentlyPlayedCardQuerySchema,
  spotifyAuthorizeQuerySchema,
  spotifyAuthorizeResponseSchema,
  spotifyCallbackQuerySchema,
  spotifyCallbackResponseSchema,
  spotifyTopQuerySchema,
  spotifyTopResponseSchema,
  statsClockResponseSchema,
  statsMoodQuerySchema,
  statsRangeQuerySchema,
  statsSummaryResponseSchema,
  statsTimelineQuerySchema,
  statsTimelineResponseSchema,
  statsTopQuerySchema,
  syncMetadataQuerySchema,
  systemStatsResponseSchema,
  tokenFormSchema,
  tokenResponseSchema,
  topAlbumsResponseSchema,
  topArtistsCardQuerySchema,
  topArtistsResponseSchema,
  topGenresResponseSchema,
  topTracksResponseSchema,
  tracksQuerySchema,
  weeklyGridCardQuerySchema,
  yearCardPathSchema,
  yearCardQuerySchema,
} from "./schemas.ts";
import { assetPathSchema, pagePathSchema, signInResponseSchema } from "./web-schemas.ts";

/**
 * THE route table. The CDK stack makes one Lambda + one HTTP API route per row, the local
 * server dispatches from it, and /openapi.json is generated from it. Paths keep those of the
 * service we replace.
 */

const error = (description: string) => ({ description, schema: errorBodySchema });
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
const pageOf = (item: z.ZodType) => z.object({ items: z.array(item), next_cursor: z.string().nullable() });

/**
 * The statistics: bearer routes that answer without a token when PUBLIC_STATS=true. They read,
 * and write only statistics snapshots; on AWS they keep the private throttle (exposure) whatever
 * the setting.
 */
const statsRoute = <Q extends z.ZodType>(
  path: string,
  handler: `functions/${string}.ts`,
  summary: string,
  query: Q,
  schema: z.ZodType,
) =>
  defineRoute({
    method: "GET",
    path,
    handler,
    auth: "bearer",
    publicWhen: "PUBLIC_STATS",
    exposure: "private",
    tableAccess: "stats",
    summary: `${summary} (public when PUBLIC_STATS=true)`,
    tags: ["statistics"],
    request: { query },
    responses: {
      200: { description: summary, schema },
      400: error("Bad range, from/to, tz or other query parameter (named in `fields`)"),
    },
  });

/** A statistics route about one item the path names: 404 when the listener never played it. */
const itemStatsRoute = <P extends z.ZodType>(
  path: string,
  handler: `functions/${string}.ts`,
  summary: string,
  params: P,
  schema: z.ZodType,
) => ({
  ...statsRoute(path, handler, summary, itemStatsQuerySchema, schema),
  // Reads aggregates and documents; writes nothing, not even a snapshot.
  tableAccess: "read" as const,
  request: { query: itemStatsQuerySchema, path: params },
  responses: {
    200: { description: summary, schema },
    400: error("Bad tz, bucket or id (named in `fields`)"),
    404: error("The listener never listened to it"),
  },
});

/** The owner's cards (the single-user routes), also served per listener at `/u/{handle}/…`. */
const nowPlayingCard = defineRoute({
  method: "GET",
  path: "/spotify/now-playing.svg",
  handler: "functions/spotify-now-playing-svg.ts",
  auth: "none",
  exposure: "public",
  summary: "Now-playing card for a README: art, title, artists, progress (ETag, 304)",
  tags: ["now playing"],
  request: { query: nowPlayingCardQuerySchema },
  responses: {
    200: { description: "SVG card", mediaType: "image/svg+xml" },
    304: { description: "Unchanged since the ETag in If-None-Match" },
    400: error("Invalid card option (theme, width, show_progress, art)"),
  },
});

const recentlyPlayedCard = defineRoute({
  method: "GET",
  path: "/spotify/recently-played.svg",
  handler: "functions/spotify-recently-played-svg.ts",
  auth: "none",
  exposure: "public",
  summary: "Recently-played card: the last counted plays as a compact list",
  tags: ["now playing"],
  request: { query: recentlyPlayedCardQuerySchema },
  responses: {
    200: { description: "SVG card", mediaType: "image/svg+xml" },
    304: { description: "Unchanged since the ETag in If-None-Match" },
    400: error("Invalid card option (theme, width, limit, art)"),
  },
});

const topArtistsCard = defineRoute({
  method: "GET",
  path: "/spotify/top-artists.svg",
  handler: "functions/spotify-top-artists-svg.ts",
  auth: "none",
  exposure: "public",
  // Reads the top artists as the statistics do, snapshots included.
  tableAccess: "stats",
  summary: "Top-artists card for a period, from the daily aggregates",
  tags: ["now playing"],
  request: { query: topArtistsCardQuerySchema },
  responses: {
    200: { description: "SVG card", mediaType: "image/svg+xml" },
    304: { description: "Unchanged since the ETag in If-None-Match" },
    400: error("Invalid card option (theme, width, range, limit, art)"),
  },
});

const weeklyGridCard = defineRoute({
  method: "GET",
  path: "/spotify/weekly-grid.svg",
  handler: "functions/spotify-weekly-grid-svg.ts",
  auth: "none",
  exposure: "public",
  summary: "Weekly grid card: the last 7 local days × 24 hours, each cell coloured by minutes listened",
  tags: ["now playing"],
  request: { query: weeklyGridCardQuerySchema },
  responses: {
    200: { description: "SVG card", mediaType: "image/svg+xml" },
    304: { description: "Unchanged since the ETag in If-None-Match" },
    400: error("Invalid card option (theme, width, tz)"),
  },
});

/**
 * The year-in-review share card. Shared only by choice (PATCH /me `year_card`, off by default):
 * the handler answers 404 until then. A listener's at `/u/{handle}/year/…` needs their cards
 * public too, like every `/u/` card.
 */
const yearCard = defineRoute({
  method: "GET",
  path: "/spotify/year/{file}",
  handler: "functions/spotify-year-svg.ts",
  auth: "none",
  exposure: "public",
  tableAccess: "stats",
  summary:
    "Year-in-review card (`/spotify/year/2025.svg`): minutes, plays, new artists, top names, busiest month",
  tags: ["now playing"],
  request: { query: yearCardQuerySchema, path: yearCardPathSchema },
  responses: {
    200: { description: "SVG card", mediaType: "image/svg+xml" },
    304: { description: "Unchanged since the ETag in If-None-Match" },
    400: error("Invalid year (path), theme, width or tz"),
    404: error("The year card is not shared (PATCH /me year_card), or the year has not begun"),
  },
});

/** A listener's public card: the owner's `/spotify/…` card route at `/u/{handle}/…`. */
const handleCard = <Q extends z.ZodType, B extends z.ZodType, P extends z.ZodType>(
  card: RouteDef<Q, B, P>,
  handler: `functions/${string}.ts`,
) =>
  defineRoute<Q, B, typeof handlePathSchema>({
    ...card,
    path: card.path.replace(/^\/spotify\//, "/u/{handle}/"),
    handler,
    audience: "handle",
    summary: `${card.summary}, of the listener with this handle (while their cards are public)`,
    request: { ...card.request, path: handlePathSchema },
    responses: { ...card.responses, 404: error("No listener with public cards has this handle") },
  });

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
    // The login checks a bcrypt hash and counts failures in the cache: it never reads the table.
    tableAccess: "none",
    // bcrypt cost 12 (bcryptjs) takes 720 ms on one full core; Lambda's CPU scales with memory
    // (1 vCPU at 1,769 MB), so ~5 s at 256 MB, ~1.3 s at 1,024 MB. Logins are rare.
    memoryMb: 1024,
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
    // Linking starts the loop at once, so the first song is recorded live.
    startsLoop: true,
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
    startsLoop: true,
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
    summary:
      "Resolve imported tracks through Spotify, then fetch genres, images, labels and release dates for artists and albums not synced yet",
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
  spotifyNowPlaying: defineRoute({
    method: "GET",
    path: "/spotify/now-playing",
    handler: "functions/spotify-now-playing.ts",
    auth: "none",
    exposure: "public",
    summary: "What plays now (progress extrapolated to this moment), else the last played item",
    tags: ["now playing"],
    responses: { 200: { description: "Now playing", schema: nowPlayingResponseSchema } },
  }),
  spotifyNowPlayingSvg: nowPlayingCard,
  spotifyRecentlyPlayedSvg: recentlyPlayedCard,
  spotifyTopArtistsSvg: topArtistsCard,
  spotifyWeeklyGridSvg: weeklyGridCard,
  spotifyYearSvg: yearCard,
  spotifyTop: defineRoute({
    method: "GET",
    path: "/spotify/top",
    handler: "functions/spotify-top.ts",
    auth: "bearer",
    exposure: "private",
    summary: "Spotify's own top artists or tracks for a window (cached an hour), to compare with the hoard",
    tags: ["spotify"],
    request: { query: spotifyTopQuerySchema },
    responses: {
      200: { description: "Spotify's ranking, best first", schema: spotifyTopResponseSchema },
      400: error("Bad query parameters"),
      409: error("Spotify is not linked, the link was revoked, or it lacks the user-top-read scope"),
      429: error("Spotify is rate limiting; see Retry-After"),
      503: error("Spotify is not configured or unreachable"),
    },
  }),
  history: defineRoute({
    method: "GET",
    path: "/history",
    handler: "functions/history.ts",
    auth: "bearer",
    exposure: "private",
    summary:
      "Spotify's own top tracks or artists as stored each day, newest first, with what moved against the day before: new, dropped, up or down by n",
    tags: ["spotify"],
    request: { query: historyQuerySchema },
    tableAccess: "read",
    responses: {
      200: { description: "The daily snapshots and their moves", schema: historyResponseSchema },
      400: error("Bad query parameters"),
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
  statsTopTracks: statsRoute(
    "/stats/top-tracks",
    "functions/stats-top-tracks.ts",
    "Most played tracks of a period, from the hoard's own aggregates",
    statsTopQuerySchema,
    topTracksResponseSchema,
  ),
  statsTopArtists: statsRoute(
    "/stats/top-artists",
    "functions/stats-top-artists.ts",
    "Most played artists of a period (each credited artist of a play counts it)",
    statsTopQuerySchema,
    topArtistsResponseSchema,
  ),
  statsTopAlbums: statsRoute(
    "/stats/top-albums",
    "functions/stats-top-albums.ts",
    "Most played albums of a period",
    statsTopQuerySchema,
    topAlbumsResponseSchema,
  ),
  statsTopGenres: statsRoute(
    "/stats/top-genres",
    "functions/stats-top-genres.ts",
    "Top genres of a period: the artists' plays by their genres, artists without genres as (no genre)",
    statsTopQuerySchema,
    topGenresResponseSchema,
  ),
  statsSummary: statsRoute(
    "/stats/summary",
    "functions/stats-summary.ts",
    "Plays, listened time, distinct tracks and artists, skip rate, longest streak, first listen",
    statsRangeQuerySchema,
    statsSummaryResponseSchema,
  ),
  statsClock: statsRoute(
    "/stats/clock",
    "functions/stats-clock.ts",
    "Listening clock: plays by local weekday and hour",
    statsRangeQuerySchema,
    statsClockResponseSchema,
  ),
  statsTimeline: statsRoute(
    "/stats/timeline",
    "functions/stats-timeline.ts",
    "Plays and listened time per local day, week or month",
    statsTimelineQuerySchema,
    statsTimelineResponseSchema,
  ),
  statsMood: statsRoute(
    "/stats/mood",
    "functions/stats-mood.ts",
    "The mood of a period: stored per-track emotion vectors weighted by plays or listened time, with coverage",
    statsMoodQuerySchema,
    moodResponseSchema,
  ),
  statsTrack: itemStatsRoute(
    "/stats/tracks/{track_id}",
    "functions/stats-track.ts",
    "A track's page: counters, skip rate, first and last listen, plays per local week or month",
    trackIdPathSchema,
    trackStatsResponseSchema,
  ),
  statsArtist: itemStatsRoute(
    "/stats/artists/{artist_id}",
    "functions/stats-artist.ts",
    "An artist's page: counters, skip rate, first and last listen, plays per local week or month, top tracks",
    artistIdPathSchema,
    artistStatsResponseSchema,
  ),
  statsYear: {
    ...statsRoute(
      "/stats/year",
      "functions/stats-year.ts",
      "Year in review: totals, top 5s, months, top month, longest streak, most repeated day, new artists",
      yearQuerySchema,
      yearResponseSchema,
    ),
    // A closed year's answer is kept as a statistics snapshot (shared/stats/recap.ts).
    tableAccess: "stats" as const,
    // Computing a year (not kept yet, or so far) reads a year of buckets and a query per day.
    timeoutSeconds: 29,
    memoryMb: 1024,
    responses: {
      200: { description: "The year in review", schema: yearResponseSchema },
      400: error("Bad year or tz (named in `fields`)"),
    },
  },
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
  dashboard: defineRoute({
    method: "GET",
    path: "/dashboard",
    handler: "functions/dashboard.ts",
    auth: "bearer",
    exposure: "private",
    tableAccess: "stats",
    summary: "A dashboard page in one call: profile, now playing, summary, tops, clock, recent plays",
    tags: ["statistics"],
    request: { query: dashboardQuerySchema },
    responses: {
      200: { description: "The dashboard payload", schema: dashboardResponseSchema },
      400: error("Bad range, from/to, tz or limit (named in `fields`)"),
    },
  }),
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
  login: defineRoute({
    method: "GET",
    path: "/login",
    handler: "functions/login.ts",
    auth: "none",
    exposure: "public",
    tableAccess: "read",
    summary:
      "Sign in with Spotify (members): redirects to Spotify's consent page; with ?invite= it joins the household",
    tags: ["listeners"],
    request: { query: loginQuerySchema },
    responses: {
      302: { description: "To Spotify's consent page" },
      400: error("Unknown, used or expired invite"),
      503: error("Spotify is not configured"),
    },
  }),
  signIn: defineRoute({
    method: "POST",
    path: "/login",
    handler: "functions/sign-in.ts",
    auth: "none",
    exposure: "public",
    // The owner's password, checked as POST /token does (bcrypt, failures counted in the cache).
    tableAccess: "none",
    memoryMb: 1024,
    summary:
      "Sign the owner in with the admin password (the form of POST /token) and open a browser session: " +
      "an httpOnly cookie, so the dashboard never holds a token in script",
    tags: ["auth"],
    request: { body: tokenFormSchema, bodyType: "form" },
    responses: {
      200: { description: "Signed in (the session cookie is set)", schema: signInResponseSchema },
      401: error("Wrong username or password"),
      422: error("Missing or malformed form fields"),
      429: error("Too many failed logins from this client; see Retry-After"),
      503: error("Admin login is not configured"),
    },
  }),
  logout: defineRoute({
    method: "GET",
    path: "/logout",
    handler: "functions/logout.ts",
    auth: "none",
    exposure: "public",
    tableAccess: "none",
    summary: "End the browser session (clears the session cookie)",
    tags: ["listeners"],
    responses: { 200: { description: "Signed out", schema: z.object({ signed_out: z.literal(true) }) } },
  }),
  web: defineRoute({
    method: "GET",
    path: "/",
    handler: "functions/web.ts",
    auth: "none",
    exposure: "public",
    // Static files from the function's own asset: no table, and the shell is the same for all.
    tableAccess: "none",
    summary: "The dashboard: its HTML shell (strict CSP, no inline script); the pages call this API",
    tags: ["dashboard"],
    responses: {
      200: { description: "HTML shell", mediaType: "text/html" },
      503: error("The dashboard was not built into this deployment"),
    },
  }),
  webPage: defineRoute({
    method: "GET",
    path: "/app/{page+}",
    handler: "functions/web.ts",
    auth: "none",
    exposure: "public",
    tableAccess: "none",
    summary: "A dashboard page (the same shell, so a reload or a shared link opens that page)",
    tags: ["dashboard"],
    request: { path: pagePathSchema },
    responses: {
      200: { description: "HTML shell", mediaType: "text/html" },
      400: error("No dashboard page has this path"),
      503: error("The dashboard was not built into this deployment"),
    },
  }),
  webAsset: defineRoute({
    method: "GET",
    path: "/assets/{file}",
    handler: "functions/web.ts",
    auth: "none",
    exposure: "public",
    tableAccess: "none",
    summary: "A content-hashed dashboard file (script, stylesheet), cached for a year (immutable)",
    tags: ["dashboard"],
    request: { path: assetPathSchema },
    responses: {
      200: { description: "The file (gzip or brotli when accepted)", mediaType: "text/javascript" },
      400: error("Not a built file's name"),
      404: error("No such file in this build"),
      503: error("The dashboard was not built into this deployment"),
    },
  }),
  me: defineRoute({
    method: "GET",
    path: "/me",
    handler: "functions/me.ts",
    auth: "bearer",
    exposure: "private",
    tableAccess: "read",
    summary: "The caller's listener: handle, role, whether their cards are public, link state",
    tags: ["listeners"],
    responses: { 200: { description: "The caller", schema: meResponseSchema } },
  }),
  mePatch: defineRoute({
    method: "PATCH",
    path: "/me",
    handler: "functions/me-patch.ts",
    auth: "bearer",
    exposure: "private",
    summary:
      "Make the caller's /u/{handle}/… cards public or private, and their year-in-review card shared or not",
    tags: ["listeners"],
    request: { body: mePatchSchema },
    responses: {
      200: { description: "The caller, updated", schema: meResponseSchema },
      422: error("Invalid body"),
    },
  }),
  meDelete: defineRoute({
    method: "DELETE",
    path: "/me",
    handler: "functions/me-delete.ts",
    auth: "bearer",
    exposure: "private",
    timeoutSeconds: 29,
    summary:
      "Delete the caller's hoard and leave the household (members; batched: repeat while `more`). Export first.",
    tags: ["listeners"],
    responses: {
      200: { description: "What this call deleted", schema: deleteListenerResponseSchema },
      403: error("The owner cannot leave their own deployment"),
    },
  }),
  userNowPlayingSvg: handleCard(nowPlayingCard, "functions/u-now-playing-svg.ts"),
  userRecentlyPlayedSvg: handleCard(recentlyPlayedCard, "functions/u-recently-played-svg.ts"),
  userTopArtistsSvg: handleCard(topArtistsCard, "functions/u-top-artists-svg.ts"),
  userWeeklyGridSvg: handleCard(weeklyGridCard, "functions/u-weekly-grid-svg.ts"),
  userYearSvg: {
    ...handleCard(yearCard, "functions/u-year-svg.ts"),
    request: { query: yearCardQuerySchema, path: handlePathSchema.extend(yearCardPathSchema.shape) },
    responses: {
      ...yearCard.responses,
      404: error("No listener with public cards has this handle, or they do not share their year card"),
    },
  },
  adminInvite: defineRoute({
    method: "POST",
    path: "/admin/invites",
    handler: "functions/admin-invite.ts",
    auth: "bearer",
    audience: "owner",
    exposure: "private",
    summary: "Invite a member: a single-use code and its /login link, valid for expires_in_hours",
    tags: ["admin", "listeners"],
    request: { body: inviteBodySchema },
    responses: {
      201: { description: "The invite (the code is shown once)", schema: inviteResponseSchema },
      409: error("The handle is taken"),
      422: error("Invalid body"),
    },
  }),
  adminListeners: defineRoute({
    method: "GET",
    path: "/admin/listeners",
    handler: "functions/admin-listeners.ts",
    auth: "bearer",
    audience: "owner",
    exposure: "private",
    tableAccess: "read",
    summary: "Every listener with their link state, counts and loop state",
    tags: ["admin", "listeners"],
    responses: { 200: { description: "The listeners", schema: listenersResponseSchema } },
  }),
  adminListenersCsv: defineRoute({
    method: "GET",
    path: "/admin/listeners.csv",
    handler: "functions/admin-listeners-csv.ts",
    auth: "bearer",
    audience: "owner",
    exposure: "private",
    tableAccess: "read",
    summary: "The listeners as CSV",
    tags: ["admin", "listeners"],
    responses: { 200: { description: "CSV", mediaType: "text/csv" } },
  }),
  adminListenerReport: defineRoute({
    method: "GET",
    path: "/admin/listeners/{handle}/report",
    handler: "functions/admin-listener-report.ts",
    auth: "bearer",
    audience: "owner",
    exposure: "private",
    tableAccess: "read",
    summary: "One listener: plays, top 10 artists and tracks (all time), link state, last poll",
    tags: ["admin", "listeners"],
    request: { path: handlePathSchema },
    responses: {
      200: { description: "The report", schema: listenerReportSchema },
      404: error("No listener has this handle"),
    },
  }),
  adminListenerDelete: defineRoute({
    method: "DELETE",
    path: "/admin/listeners/{handle}",
    handler: "functions/admin-listener-delete.ts",
    auth: "bearer",
    audience: "owner",
    exposure: "private",
    timeoutSeconds: 29,
    summary:
      "Remove a member and every item of theirs, a bounded part per call (repeat while `more`); resumable",
    tags: ["admin", "listeners"],
    request: { path: handlePathSchema },
    responses: {
      200: { description: "What this call deleted", schema: deleteListenerResponseSchema },
      403: error("The owner cannot be removed"),
      404: error("No listener has this handle"),
    },
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

export type RouteId = keyof typeof routes;

/** Answers every method and path no route matches (API Gateway `$default`, local fallback). */
export const notFoundHandler = "functions/not-found.ts" as const;

export const routeList: readonly (RouteDef & { id: string })[] = Object.entries(routes).map(([id, r]) => ({
  id,
  ...(r as RouteDef),
}));
