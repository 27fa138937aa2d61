import type { Album, Artist, JobRun, Play, SpotifyLink, Track } from "../domain/entities.ts";
import type { SlotTriples } from "../stats/aggregates.ts";

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
export interface ReadOptions {
  /** Strongly consistent (twice the read cost): sees every write that completed before. */
  consistent?: boolean;
}

/** One UTC month's DAY-row counters in one item (encoding: shared/stats/packs.ts). */
export interface DayPackRecord {
  month: string;
  /** The month's TOTAL (plays/skips/listened_ms) when packed: equal today means still true. */
  of: string;
  days: string;
}

/** One UTC month's counted plays per track and UTC day, gzip'd JSON (shared/stats/packs.ts). */
export interface TrackDayPackRecord {
  month: string;
  /** The month's TOTAL when packed, as DayPackRecord's. */
  of: string;
  /** null: the month was too big for one item; its days are read from the D buckets. */
  body: Uint8Array | null;
}

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
  /**
   * Deletes one play and, in the same transaction, takes back what recordPlay moved: the
   * track's counters, every aggregate bucket (D/M/Y/ALL totals, quarter-hour counters, track,
   * album, artist items), the counts; the month's packs are dropped (repacked by the hourly job).
   * Returns the play, or null when there is none: deleting twice reverses once.
   */
  deletePlay(listenedAt: string, trackId: string): Promise<Play | null>;
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
  /**
   * Every item of one bucket (`D#2026-11-21`, `M#2026-11`, `Y#2026`, `ALL`), or of one dimension
   * in it. `numbersOnly`: plays, skips and listened_ms without the display fields (rankings read
   * thousands of items and name a handful).
   */
  queryAggregates(
    bucket: string,
    dimension?: Aggregate["dimension"],
    opts?: { numbersOnly?: boolean } & ReadOptions,
  ): Promise<Aggregate[]>;
  /** How many items of one dimension in a bucket have a counted play (a distinct count). */
  countAggregates(bucket: string, dimension: Aggregate["dimension"]): Promise<number>;
  /** The ids of one dimension's items in a bucket with a counted play (distinct counts). */
  queryAggregateIds(bucket: string, dimension: Aggregate["dimension"]): Promise<string[]>;
  /** The DAY rows of one UTC year from `fromDay` to `toDay` ("YYYY-MM-DD", both included). */
  queryDays(year: string, fromDay: string, toDay: string, opts?: ReadOptions): Promise<Aggregate[]>;
  /** The named aggregate items that exist (absent ones are left out). */
  batchGetAggregates(keys: readonly AggregateRef[], opts?: ReadOptions): Promise<Aggregate[]>;
  /** The month packs of one UTC year (shared/stats/packs.ts), in month order. */
  queryDayPacks(year: string): Promise<DayPackRecord[]>;
  putDayPack(pack: DayPackRecord): Promise<void>;
  /** The track packs of one UTC year from `fromMonth` to `toMonth` ("YYYY-MM", both included). */
  queryTrackDayPacks(year: string, fromMonth: string, toMonth: string): Promise<TrackDayPackRecord[]>;
  putTrackDayPack(pack: TrackDayPackRecord): Promise<void>;
  /**
   * What a statistics snapshot depends on, read in one transaction (a consistent view): the ALL
   * TOTAL, the TOTALs of the given UTC days, and the generation counter (shared/stats/snapshot.ts).
   */
  getStatsValidity(days: readonly string[]): Promise<StatsValidity>;
  /** Called AFTER every write that changes past counters without changing a TOTAL's meaning. */
  bumpStatsGeneration(): Promise<void>;
  /** One dimension's parts of a snapshot (`key`: range and start), in part order. */
  queryStatsSnapshot(key: string, dimension: string): Promise<SnapshotPart[]>;
  putStatsSnapshot(
    key: string,
    dimension: string,
    parts: readonly SnapshotPart[],
    expiresAt: number,
  ): Promise<void>;
  /** The zones statistics snapshots are kept fresh for (the hourly job rebuilds them). */
  snapshotZones(): Promise<string[]>;
  addSnapshotZone(tz: string): Promise<void>;
  /** The artist items that exist among `ids` (genres for the genre statistics). */
  batchGetArtists(ids: readonly string[]): Promise<Artist[]>;
  /** The earliest listen at or after `from` (any listen when absent). */
  oldestPlay(from?: string): Promise<Play | null>;
  /** Counters kept by the writes (no scan): plays, tracks, artists, albums. */
  getCounts(): Promise<StoreCounts>;
  /** Size and item count as DynamoDB reports them (updated about every 6 hours); null if not allowed. */
  describeTable(): Promise<{ size_bytes: number; item_count: number } | null>;

  /** Rebuild only: every item of the table, classified (a parallel full-table Scan). */
  scanForRebuild(visit: (item: ScannedItem) => void, segments?: number): Promise<void>;
  /** Rebuild only: writes whole aggregate items (keys included), replacing what is there. */
  putAggregateRecords(
    records: readonly (Record<string, unknown> & { pk: string; sk: string })[],
  ): Promise<void>;
  deleteAggregateRecords(keys: readonly { pk: string; sk: string }[]): Promise<void>;
  putCounts(counts: StoreCounts): Promise<void>;

  getSpotifyLink(): Promise<SpotifyLink | null>;
  saveSpotifyLink(link: SpotifyLink): Promise<void>;
  /**
   * Spotify rotated the refresh token: noted on the link if there still is one, never creating
   * it again (a removal deletes it while a loop may be refreshing), and leaving the notes on it.
   */
  rotateSpotifyRefreshToken(refreshToken: string, scope: string): Promise<void>;
  /** Forgets the link: nothing asks Spotify for this listener any more (a removal, first). */
  deleteSpotifyLink(): Promise<void>;
  markSpotifyNeedsReauth(reason: string): Promise<void>;
  /** Notes Spotify's quota back-off on the link, where the watchdog reads it anyway. */
  setSpotifyQuotaUntil(until: string | null): Promise<void>;
  /**
   * Notes until when a playback loop holds its lease (null: it let go), on the link the
   * watchdog reads anyway: a hint that spares it a cache read a minute, never the lease itself.
   */
  setLoopUntil(until: string | null): Promise<void>;

  recordJobRun(run: JobRun, keepDays?: number): Promise<void>;
  listJobRuns(job: string, limit: number): Promise<JobRun[]>;
  getCursor(name: string): Promise<string | null>;
  setCursor(name: string, value: string): Promise<void>;
}

export interface Aggregate {
  bucket: string;
  dimension: "TOTAL" | "DAY" | "TRACK" | "ARTIST" | "ALBUM";
  id: string;
  plays: number;
  skips: number;
  listened_ms: number;
  /** TRACK/ARTIST/ALBUM: display fields of the latest play, so top lists need no other reads. */
  name?: string | null;
  /** TRACK: the artists' names. */
  artists?: string[];
  /** TRACK/ALBUM: the album art. */
  image_url?: string | null;
  /**
   * DAY rows (`AGG#Y#2026` / `DAY#2026-11-21`): counted plays and listened ms per UTC quarter
   * hour ("1430" = 14:30–14:45), stored as top-level `p1430` / `ms1430` attributes and read back
   * as triples (shared/stats/aggregates.ts `SlotTriples`).
   */
  slots?: SlotTriples;
}

export interface StatsValidity {
  /** null: no ALL bucket (a hoard recorded before it, until rebuild-aggregates). */
  all: Aggregate | null;
  days: Aggregate[];
  generation: number;
}

/** A stored piece of a statistics snapshot: `head` (JSON) on part 0 only, `body` gzip'd JSON. */
export interface SnapshotPart {
  n: number;
  build: string;
  head?: string | undefined;
  body: Uint8Array;
}

export interface AggregateRef {
  bucket: string;
  dimension: Aggregate["dimension"];
  id: string;
}

export interface StoreCounts {
  /** Every stored listen, skips included. */
  plays: number;
  counted_plays: number;
  tracks: number;
  artists: number;
  albums: number;
}

export type ScannedItem =
  | { type: "play"; play: Play }
  | { type: "aggregate"; key: { pk: string; sk: string } }
  | { type: "cursor"; name: string; value: string }
  | { type: "track" | "artist" | "album" | "other"; key: { pk: string; sk: string } };
