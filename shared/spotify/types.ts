import type { ItemKind } from "../domain/entities.ts";

/**
 * What the capture core sees of Spotify: the player state normalised into one Observation,
 * and every failure as a SpotifyFault. The HTTP client (client.ts) produces these from the
 * real payloads; the tracker (domain/tracker.ts) consumes them and never sees HTTP.
 */

export interface PlayableItem {
  /** Spotify id; for local files (no id) the URI. The track_id we store. */
  key: string;
  kind: ItemKind;
  name: string;
  uri: string;
  artists: { id: string | null; name: string }[];
  album: { id: string | null; name: string; image_url: string | null } | null;
  duration_ms: number;
  explicit?: boolean;
  /** Canonical open.spotify.com link when Spotify gives one. */
  url?: string | null;
}

export type Observation =
  /** 204, no active device, or `item: null`. */
  | { type: "nothing" }
  /** A private session: Spotify still answers, but the person asked not to be recorded. */
  | { type: "private" }
  /** `currently_playing_type` ad or unknown: not a listen, and it ends the current one. */
  | { type: "unsupported"; reason: "ad" | "unknown" }
  | {
      type: "item";
      item: PlayableItem;
      progress_ms: number;
      is_playing: boolean;
      /** Spotify's `timestamp`: epoch ms of the last state change (play, pause, seek, skip). */
      timestamp: number | null;
      device: { id: string | null; name: string; type: string } | null;
      context: { type: string; uri: string } | null;
      shuffle_state: boolean | null;
      repeat_state: "off" | "track" | "context" | null;
    };

export type SpotifyFault =
  /** 429: wait at least `retryAfterSeconds` (can be hours when `reason` is QUOTA_EXCEEDED). */
  | { type: "rate_limited"; retryAfterSeconds: number; reason: string | null }
  /** The refresh token was revoked (`invalid_grant`): the person must link again. */
  | { type: "revoked"; message: string }
  /** Not linked yet, or Spotify not configured. */
  | { type: "not_linked"; message: string }
  /** 5xx, timeouts, network errors, 401 that survived a refresh: transient. */
  | { type: "unavailable"; message: string; status: number | null };

export class SpotifyError extends Error {
  readonly fault: SpotifyFault;
  constructor(fault: SpotifyFault) {
    super(`Spotify ${fault.type}${"message" in fault ? `: ${fault.message}` : ""}`);
    this.name = "SpotifyError";
    this.fault = fault;
  }
}

/** One recently-played entry: `played_at` is (approximately) when the play ENDED. */
export interface RecentPlay {
  item: PlayableItem;
  played_at: string;
  context: { type: string; uri: string } | null;
}

export interface ArtistMetadata {
  id: string;
  name: string;
  genres: string[];
  popularity: number | null;
  image_url: string | null;
}

export interface AlbumMetadata {
  id: string;
  name: string;
  artists: { id: string | null; name: string }[];
  image_url: string | null;
  label: string | null;
  release_date: string | null;
  album_type: string | null;
  total_tracks: number | null;
}

export type TopType = "artists" | "tracks";
/** Spotify's windows: about 4 weeks, about 6 months, about a year. */
export type TopTimeRange = "short_term" | "medium_term" | "long_term";

export interface TopArtist {
  rank: number;
  artist_id: string;
  name: string;
  genres: string[];
  popularity: number | null;
  image_url: string | null;
  url: string | null;
}

export interface TopTrack {
  rank: number;
  track_id: string;
  name: string;
  artists: { id: string | null; name: string }[];
  album: { id: string | null; name: string; image_url: string | null } | null;
  duration_ms: number;
  popularity: number | null;
  url: string | null;
}

/** GET /me/top/{type}: Spotify's own ranking, best first; `total` is how many it could list. */
export type TopItems =
  | { type: "artists"; total: number; items: TopArtist[] }
  | { type: "tracks"; total: number; items: TopTrack[] };

/** The Spotify port the capture code calls; the HTTP client implements it, tests may fake it. */
export interface SpotifyApi {
  currentPlayback(): Promise<Observation>;
  /** Newest first, at most 50, optionally only those played after `afterMs`. */
  recentlyPlayed(opts: { afterMs?: number; limit?: number }): Promise<RecentPlay[]>;
  artists(ids: string[]): Promise<ArtistMetadata[]>;
  albums(ids: string[]): Promise<AlbumMetadata[]>;
  /** Tracks by id (batches, or one at a time where batches are refused); unknown ids are left out. */
  tracks(ids: string[]): Promise<PlayableItem[]>;
  me(): Promise<{ id: string; display_name: string | null }>;
  /** Spotify's top artists or tracks for a window (needs the user-top-read scope); limit 1–50. */
  topItems(type: TopType, timeRange: TopTimeRange, limit: number): Promise<TopItems>;
}
