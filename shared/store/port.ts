import type { Album, Artist, JobRun, Play, SpotifyLink, Track } from "../domain/entities.ts";

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** Track fields that come from what the player reported (counters are the store's business). */
export type TrackInfo = Pick<
  Track,
  "track_id" | "kind" | "name" | "uri" | "artists" | "album" | "duration_ms"
> & {
  explicit?: boolean | undefined;
};

export type RecordPlayResult = "recorded" | "duplicate";

/**
 * The storage port: one named function per access pattern (see table.ts for the keys).
 * The DynamoDB implementation is the only one; tests run it against DynamoDB Local.
 */
export interface Store {
  ping(): Promise<void>;

  getTrack(trackId: string): Promise<Track | null>;
  listTracksByCount(limit: number, cursor?: string): Promise<Page<Track>>;
  listTracksByLastListened(limit: number, cursor?: string): Promise<Page<Track>>;

  /**
   * Stores a finished listen and, in the same transaction, moves the track's counters and
   * the daily aggregates. Conditioned on the deterministic play key: a repeat is a no-op.
   */
  recordPlay(play: Play, track: TrackInfo): Promise<RecordPlayResult>;
  listPlays(q: { from?: string; to?: string; limit: number; cursor?: string }): Promise<Page<Play>>;
  newestPlay(): Promise<Play | null>;

  putArtistIfAbsent(artist: Pick<Artist, "artist_id" | "name">): Promise<boolean>;
  getArtist(artistId: string): Promise<Artist | null>;
  listUnsyncedArtists(limit: number): Promise<string[]>;
  saveArtistMetadata(artist: Artist): Promise<void>;
  putAlbumIfAbsent(album: Pick<Album, "album_id" | "name" | "artists" | "image_url">): Promise<boolean>;
  getAlbum(albumId: string): Promise<Album | null>;
  listUnsyncedAlbums(limit: number): Promise<string[]>;
  saveAlbumMetadata(album: Album): Promise<void>;

  getDailyAggregates(day: string): Promise<Aggregate[]>;

  getSpotifyLink(): Promise<SpotifyLink | null>;
  saveSpotifyLink(link: SpotifyLink): Promise<void>;
  markSpotifyNeedsReauth(reason: string): Promise<void>;
  /** Notes Spotify's quota back-off on the link, where the watchdog reads it anyway. */
  setSpotifyQuotaUntil(until: string | null): Promise<void>;

  recordJobRun(run: JobRun, keepDays?: number): Promise<void>;
  listJobRuns(job: string, limit: number): Promise<JobRun[]>;
  getCursor(name: string): Promise<string | null>;
  setCursor(name: string, value: string): Promise<void>;
}

export interface Aggregate {
  bucket: string;
  dimension: "TOTAL" | "TRACK" | "ARTIST" | "ALBUM";
  id: string;
  plays: number;
  skips: number;
  listened_ms: number;
}
