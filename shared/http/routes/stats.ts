import type * as z from "zod";
import { trackIdPathSchema } from "../lyrics-schemas.ts";
import {
  artistIdPathSchema,
  artistStatsResponseSchema,
  itemStatsQuerySchema,
  trackStatsResponseSchema,
  yearQuerySchema,
  yearResponseSchema,
} from "../recap-schemas.ts";
import { defineRoute, type RouteDef } from "../route.ts";
import {
  dashboardQuerySchema,
  dashboardResponseSchema,
  moodResponseSchema,
  statsClockResponseSchema,
  statsMoodQuerySchema,
  statsRangeQuerySchema,
  statsSummaryResponseSchema,
  statsTimelineQuerySchema,
  statsTimelineResponseSchema,
  statsTopQuerySchema,
  topAlbumsResponseSchema,
  topArtistsResponseSchema,
  topGenresResponseSchema,
  topTracksResponseSchema,
} from "../schemas.ts";
import { error } from "./common.ts";

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

export const statsRoutes = {
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
    // A closed year's first read, or the first read of a day of the year so far, reads the
    // year's buckets: ~2-5 s over 100,000 plays on DynamoDB Local (README). The memory is for
    // the CPU share: it decodes and sums tens of thousands of items.
    timeoutSeconds: 15,
    memoryMb: 1024,
    responses: {
      200: { description: "The year in review", schema: yearResponseSchema },
      400: error("Bad year or tz (named in `fields`)"),
    },
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
} as const satisfies Record<string, RouteDef>;
