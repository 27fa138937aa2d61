/**
 * The API's answers as the dashboard reads them: types only, inferred from the route table's
 * own zod schemas (`import type`: no zod reaches the browser bundle).
 */
import type * as z from "zod";
import type { JobRun, Play } from "../shared/domain/entities.ts";
import type { listenersResponseSchema, meResponseSchema } from "../shared/http/household-schemas.ts";
import type {
  artistStatsResponseSchema,
  trackStatsResponseSchema,
  yearResponseSchema,
} from "../shared/http/recap-schemas.ts";
import type {
  dashboardResponseSchema,
  HealthResponse,
  ImportSummary,
  NowPlayingResponse,
  SpotifyAuthorizeResponse,
  statsSummaryResponseSchema,
  statsTimelineResponseSchema,
  systemStatsResponseSchema,
  topAlbumsResponseSchema,
  topArtistsResponseSchema,
  topGenresResponseSchema,
  topTracksResponseSchema,
} from "../shared/http/schemas.ts";
import type { SignInResponse } from "../shared/http/web-schemas.ts";
import type { StatsRange } from "../shared/stats/plan.ts";

export type {
  HealthResponse,
  ImportSummary,
  NowPlayingResponse,
  Play,
  SignInResponse,
  SpotifyAuthorizeResponse,
  StatsRange,
};
export type Me = z.infer<typeof meResponseSchema>;
export type SystemStats = z.infer<typeof systemStatsResponseSchema>;
export type Listeners = z.infer<typeof listenersResponseSchema>;
export type { JobRun };
export type TrackStats = z.infer<typeof trackStatsResponseSchema>;
export type ArtistStats = z.infer<typeof artistStatsResponseSchema>;
export type YearInReview = z.infer<typeof yearResponseSchema>;
/** What the track and artist pages share. */
export type ItemStats = TrackStats | ArtistStats;
export type Dashboard = z.infer<typeof dashboardResponseSchema>;
export type Timeline = z.infer<typeof statsTimelineResponseSchema>;
export type Summary = z.infer<typeof statsSummaryResponseSchema>;
export type TopTracks = z.infer<typeof topTracksResponseSchema>;
export type TopArtists = z.infer<typeof topArtistsResponseSchema>;
export type TopAlbums = z.infer<typeof topAlbumsResponseSchema>;
export type TopGenres = z.infer<typeof topGenresResponseSchema>;
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}
/** The error shape every route answers with (shared/http/errors.ts). */
export interface ApiErrorBody {
  error: string;
  message: string;
  fields?: { field: string; message: string }[];
}
