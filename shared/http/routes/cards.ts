import type * as z from "zod";
import { handlePathSchema } from "../household-schemas.ts";
import { defineRoute, type RouteDef } from "../route.ts";
import {
  nowPlayingCardQuerySchema,
  recentlyPlayedCardQuerySchema,
  topArtistsCardQuerySchema,
  weeklyGridCardQuerySchema,
  yearCardPathSchema,
  yearCardQuerySchema,
} from "../schemas.ts";
import { error } from "./common.ts";

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

export const cardsRoutes = {
  spotifyNowPlayingSvg: nowPlayingCard,
  spotifyRecentlyPlayedSvg: recentlyPlayedCard,
  spotifyTopArtistsSvg: topArtistsCard,
  spotifyWeeklyGridSvg: weeklyGridCard,
  spotifyYearSvg: yearCard,
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
} as const satisfies Record<string, RouteDef>;
