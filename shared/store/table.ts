import { randomBytes } from "node:crypto";

/**
 * Single-table design. Every entity knows its own keys here, and nowhere else.
 *
 * Listeners: every item below except the catalog (artists, albums, lyrics, emotions, Genius
 * lyrics: `catalogKeys`) is one listener's
 * and is stored under `L#<listener id>#` + its pk (`listenerKeys`); the tables below spell the
 * logical keys. The household itself (listeners, handles, accounts, invites) is `householdKeys`.
 *
 *   entity        pk                     sk                         indexes
 *   ------------  ---------------------  -------------------------  ---------------------------------------
 *   track         TRACK#<track_id>       META                       by_count: gsi2pk=TRACKS, listen_count (N)
 *                                                                   gsi1: gsi1pk=TRACKS, gsi1sk=last_listened
 *   play          PLAYS                  <listened_at>#<track_id>   (sk is the deterministic play key)
 *   artist        ARTIST#<artist_id>     META                       gsi1: UNSYNCED#ARTIST / artist_id (sparse)
 *   album         ALBUM#<album_id>       META                       gsi1: UNSYNCED#ALBUM / album_id (sparse)
 *   aggregate     AGG#<bucket>           <dimension>#<id>           bucket = D#2026-11-21 | M#2026-11 | Y#2026 | ALL
 *                                                                   dimension TOTAL|TRACK|ARTIST|ALBUM, and
 *                                                                   DAY (Y buckets: per-day quarter hours)
 *                                                                   (fields: shared/stats/aggregates.ts)
 *   day pack      PACK#<yyyy>            <yyyy-mm>                  a closed month's DAY rows in one item
 *                                                                   (shared/stats/packs.ts; derived, rebuilt)
 *   track pack    PACK#<yyyy>#TRACKS     <yyyy-mm>                  the same month's plays per track and UTC
 *                                                                   day, gzip'd (the year in review's most
 *                                                                   repeated day; derived, rebuilt with it)
 *   counts        META#COUNTS            META                       plays, counted_plays, tracks, artists, albums
 *   stats snapshot SNAP#<range>@<from>   <dimension>#<n>            a named range's counters before a cutoff,
 *                                                                   gzip'd parts (shared/stats/snapshot.ts;
 *                                                                   derived, expires by TTL); MOOD@<model>:
 *                                                                   the mood's sums (shared/lyrics/mood.ts)
 *   snapshot zones SNAP#INDEX            META                       tzs: the zones snapshots were built for
 *   stats gen     META#STATS             GENERATION                 n: bumped after every change to past
 *                                                                   counters (shared/stats/snapshot.ts)
 *   batch marker  BATCH#<batch id>       T#<n> | A#<n> | COUNTS       a part of an import batch applied once
 *                                                                   (recordPlayBatch); deleted when done
 *   play overflow PLAYX                  <play sk>#<n>              marker: artists beyond one transaction
 *                                        <play sk>#delete#<n>       (the same, when deletePlay takes them back)
 *   lyrics        TRACK#<track_id>       LYRICS                     catalog (shared by listeners): LRCLIB's
 *                                                                   text, or not found with retry_after
 *   emotions      TRACK#<track_id>       EMOTIONS                   gsi1: EMOTIONS / track_id — the track's
 *                                                                   emotion vector and model (or instrumental)
 *   genius lyrics GENIUS#<song_id>       LYRICS                     a Genius song's lyrics and emotions
 *   emotion pack  EMOPACK                P#<nn> [#<part>]           catalog: every vector of a hash shard of
 *                                                                   tracks, gzip'd (what long-range moods read);
 *                                                                   more parts once one would pass 350 KB
 *                                        META                       counts per source; `complete` once every
 *                                                                   stored vector is in the packs; `version`
 *                                                                   bumped by every vector write
 *   spotify link  LINK#SPOTIFY           META
 *   job run       JOB#<job>              <started_at>#<random>      TTL: expires_at (epoch seconds); the
 *                                                                   suffix keeps runs of one instant apart
 *   cursor        CURSOR#<name>          META
 *   top snapshot  TOPS#<type>#<range>    <yyyy-mm-dd>               Spotify's top list of one UTC day, kept
 *                                                                   for ever (shared/store/top-history.ts)
 *
 * Access patterns (one named function each, in the store's per-entity modules: tracks.ts,
 * plays.ts, catalog.ts, aggregates.ts, link.ts, jobs.ts, maintenance.ts, composed by
 * repository.ts):
 *   getTrack(id) · listTracksByCount(limit, cursor) · listTracksByLastListened(limit, cursor)
 *   recordPlay(play) — play + track counters + D/M/Y/ALL aggregates + counts in one transaction
 *   imports (shared/store/import-batch.ts): recordPlayBatch(id, plays) · listBatchPlays(id, keys) ·
 *   forgetBatch(id) · setLeasedCursor(name, value, lease) — idempotent per part, one run per file
 *   listPlays(from, to, limit, cursor) — newest first · newestPlay() · oldestPlay(from)
 *   deletePlay(listened_at, track_id) — the play out, recordPlay's counters back, one transaction
 *   putArtistIfAbsent / getArtist / batchGetArtists / listUnsyncedArtists / saveArtistMetadata
 *   putAlbumIfAbsent / getAlbum / listUnsyncedAlbums / saveAlbumMetadata   (both count new items)
 *   getDailyAggregates(day) · queryAggregates(bucket, dimension?) · countAggregates(bucket, dimension) · queryDays(year, from, to)
 *   batchGetAggregates(keys) · queryDayPacks(year) · putDayPack(pack) ·
 *   queryTrackDayPacks(year, fromMonth, toMonth) · putTrackDayPack(pack)
 *   getStatsValidity(days) · bumpStatsGeneration() · queryStatsSnapshot / putStatsSnapshot ·
 *   snapshotZones / addSnapshotZone
 *   getCounts() · describeTable() · rebuild: scanForRebuild / putAggregateRecords /
 *   deleteAggregateRecords / putCounts
 *   lyrics and mood (shared/lyrics/store.ts): getLyrics / putLyrics · getEmotions / putEmotions ·
 *   batchGetAnalysis(ids) · emotionsFor(ids) (BatchGet, or the EMOPACK packs for big ranges) ·
 *   packAllEmotions() · analysisCounts() ·
 *   getGeniusLyrics / putGeniusLyrics
 *   getSpotifyLink / saveSpotifyLink / markSpotifyNeedsReauth
 *   recordJobRun / listJobRuns(job) · getCursor / setCursor
 *   top lists (shared/store/top-history.ts): topSnapshotDays(day) · putTopSnapshot · listTopSnapshots
 *
 * One partition (L#<id>#PLAYS) holds every play of a listener: one person listens to ~50k tracks a year,
 * far below a partition's 1,000 WCU / 3,000 RCU, and a single partition makes "newest
 * first between two instants" one Query.
 */

/**
 * The keys of one listener's items as the store code spells them (logical keys). Every one of
 * them is stored under the listener's prefix (`listenerKeys`); the catalog's are not.
 */
export const keys = {
  track: (trackId: string) => ({ pk: `TRACK#${trackId}`, sk: "META" }),
  /** A track's (or its lyrics' or emotions') logical partition key read back as the track id. */
  trackIdOf: (pk: string) => pk.slice("TRACK#".length),
  play: (listenedAt: string, trackId: string) => ({ pk: "PLAYS", sk: `${listenedAt}#${trackId}` }),
  playsPartition: "PLAYS",
  artist: (artistId: string) => ({ pk: `ARTIST#${artistId}`, sk: "META" }),
  album: (albumId: string) => ({ pk: `ALBUM#${albumId}`, sk: "META" }),
  aggregate: (bucket: string, dimension: string, id: string) => ({
    pk: `AGG#${bucket}`,
    sk: `${dimension}#${id}`,
  }),
  aggregates: (bucket: string) => `AGG#${bucket}`,
  /** Whether a logical partition key is an aggregate bucket's. */
  isAggregate: (pk: string) => pk.startsWith("AGG#"),
  /** `<dimension>#`: the sort-key prefix of one dimension's items in an aggregate bucket. */
  aggregateDimension: (dimension: string) => `${dimension}#`,
  /** A logical aggregate key read back as bucket, dimension and id (they are not stored twice). */
  aggregateRefOf: (key: { pk: string; sk: string }) => {
    const cut = key.sk.indexOf("#");
    return {
      bucket: key.pk.slice("AGG#".length),
      dimension: key.sk.slice(0, cut),
      id: key.sk.slice(cut + 1),
    };
  },
  dayPacks: (year: string) => `PACK#${year}`,
  dayPack: (month: string) => ({ pk: `PACK#${month.slice(0, 4)}`, sk: month }),
  trackDayPacks: (year: string) => `PACK#${year}#TRACKS`,
  trackDayPack: (month: string) => ({ pk: `PACK#${month.slice(0, 4)}#TRACKS`, sk: month }),
  counts: { pk: "META#COUNTS", sk: "META" },
  statsSnapshot: (key: string) => `SNAP#${key}`,
  statsSnapshotPart: (key: string, dimension: string, n: number) => ({
    pk: `SNAP#${key}`,
    sk: `${dimension}#${n}`,
  }),
  /** The sort-key prefix of one dimension's parts of a snapshot. */
  statsSnapshotDimension: (dimension: string) => `${dimension}#`,
  statsSnapshotZones: { pk: "SNAP#INDEX", sk: "META" },
  statsGeneration: { pk: "META#STATS", sk: "GENERATION" },
  batchMarker: (batchId: string, part: string) => ({ pk: `BATCH#${batchId}`, sk: part }),
  /** The parts of an import batch a marker names: track groups, aggregate parts, the counts. */
  batchPart: {
    tracks: (n: number) => `T#${n}`,
    aggregates: (n: number) => `A#${n}`,
    counts: "COUNTS",
  },
  playOverflow: (playSk: string, n: number) => ({ pk: "PLAYX", sk: `${playSk}#${n}` }),
  lyrics: (trackId: string) => ({ pk: `TRACK#${trackId}`, sk: "LYRICS" }),
  emotions: (trackId: string) => ({ pk: `TRACK#${trackId}`, sk: "EMOTIONS" }),
  emotionsIndexPk: "EMOTIONS",
  geniusLyrics: (songId: number) => ({ pk: `GENIUS#${songId}`, sk: "LYRICS" }),
  spotifyLink: { pk: "LINK#SPOTIFY", sk: "META" },
  /**
   * A run's key: its start, then a random suffix, so two runs started in the same millisecond
   * are two items, and the sort key still orders runs by start (ISO times sort as strings).
   */
  jobRun: (job: string, startedAt: string, suffix: string = randomBytes(6).toString("base64url")) => ({
    pk: `JOB#${job}`,
    sk: `${startedAt}#${suffix}`,
  }),
  jobRuns: (job: string) => `JOB#${job}`,
  cursor: (name: string) => ({ pk: `CURSOR#${name}`, sk: "META" }),
  /** A cursor item's logical partition key read back as the cursor's name. */
  cursorNameOf: (pk: string) => pk.slice("CURSOR#".length),
  topSnapshot: (type: string, range: string, day: string) => ({ pk: `TOPS#${type}#${range}`, sk: day }),
  topSnapshots: (type: string, range: string) => `TOPS#${type}#${range}`,
  tracksIndexPk: "TRACKS",
  unsyncedArtists: "UNSYNCED#ARTIST",
  unsyncedAlbums: "UNSYNCED#ALBUM",
} as const;

/**
 * The shared catalog: Spotify's artists and albums (names, genres, art), and the lyrics and
 * emotion vectors of tracks (shared/lyrics/store.ts), belong to nobody, so their items and the
 * count of them carry no listener. Everything else is a listener's.
 */
export const catalogKeys = {
  artist: keys.artist,
  album: keys.album,
  unsyncedArtists: keys.unsyncedArtists,
  unsyncedAlbums: keys.unsyncedAlbums,
  counts: { pk: "CATALOG#COUNTS", sk: "META" },
  /**
   * Bumped when an artist's genres change: the artists are shared, so every listener's
   * statistics snapshots (genre totals) depend on it, beside their own generation.
   */
  genresGeneration: { pk: "CATALOG#STATS", sk: "GENRES" },
  /** Lyrics, emotion vectors and Genius songs are keyed by track (song) and shared by all. */
  lyrics: keys.lyrics,
  emotions: keys.emotions,
  emotionsIndexPk: keys.emotionsIndexPk,
  trackIdOf: keys.trackIdOf,
  geniusLyrics: keys.geniusLyrics,
  /** Every emotion vector again, packed by shard of track (shared/lyrics/store.ts). */
  emotionPacks: "EMOPACK",
  /** Part 0 is the shard's head (its version); a full shard goes on in parts `P#<nn>#<part>`. */
  emotionPack: (shard: number, part = 0) => ({
    pk: "EMOPACK",
    sk: `P#${String(shard).padStart(2, "0")}${part === 0 ? "" : `#${part}`}`,
  }),
  emotionPackMeta: { pk: "EMOPACK", sk: "META" },
} as const;

/** The partition prefix of one listener's items: `L#<listener id>#`. */
export const listenerPrefix = (listener: string) => `L#${listener}#`;

/** The listener id a stored partition key belongs to (null: catalog or household). */
export function listenerOfPk(pk: string): string | null {
  if (!pk.startsWith("L#")) return null;
  const end = pk.indexOf("#", 2);
  return end < 0 ? null : pk.slice(2, end);
}

/**
 * Every key of one listener, as stored: the logical key under the listener's prefix. The
 * artist and album builders stay the catalog's, so code that writes both (recordPlay) takes
 * one `keys` object. The one place a listener's key is built.
 */
export function listenerKeys(listener: string) {
  if (!/^[A-Za-z0-9_-]+$/.test(listener)) throw new Error(`not a listener id: ${JSON.stringify(listener)}`);
  const p = listenerPrefix(listener);
  const scoped = <K extends { pk: string; sk: string }>(k: K): K => ({ ...k, pk: p + k.pk });
  return {
    prefix: p,
    /** A logical key (rebuild records, aggregate folds) as stored for this listener. */
    scoped,
    /** A stored key of this listener read back as its logical key. */
    logical: <K extends { pk: string; sk: string }>(k: K): K => ({ ...k, pk: k.pk.slice(p.length) }),
    track: (trackId: string) => scoped(keys.track(trackId)),
    play: (listenedAt: string, trackId: string) => scoped(keys.play(listenedAt, trackId)),
    playsPartition: p + keys.playsPartition,
    artist: catalogKeys.artist,
    album: catalogKeys.album,
    aggregate: (bucket: string, dimension: string, id: string) =>
      scoped(keys.aggregate(bucket, dimension, id)),
    aggregates: (bucket: string) => p + keys.aggregates(bucket),
    aggregateDimension: keys.aggregateDimension,
    dayPacks: (year: string) => p + keys.dayPacks(year),
    dayPack: (month: string) => scoped(keys.dayPack(month)),
    trackDayPacks: (year: string) => p + keys.trackDayPacks(year),
    trackDayPack: (month: string) => scoped(keys.trackDayPack(month)),
    counts: scoped(keys.counts),
    statsSnapshot: (key: string) => p + keys.statsSnapshot(key),
    statsSnapshotPart: (key: string, dimension: string, n: number) =>
      scoped(keys.statsSnapshotPart(key, dimension, n)),
    statsSnapshotDimension: keys.statsSnapshotDimension,
    statsSnapshotZones: scoped(keys.statsSnapshotZones),
    statsGeneration: scoped(keys.statsGeneration),
    genresGeneration: catalogKeys.genresGeneration,
    catalogCounts: catalogKeys.counts,
    batchMarker: (batchId: string, part: string) => scoped(keys.batchMarker(batchId, part)),
    playOverflow: (playSk: string, n: number) => scoped(keys.playOverflow(playSk, n)),
    spotifyLink: scoped(keys.spotifyLink),
    jobRun: (job: string, startedAt: string, suffix?: string) => scoped(keys.jobRun(job, startedAt, suffix)),
    jobRuns: (job: string) => p + keys.jobRuns(job),
    cursor: (name: string) => scoped(keys.cursor(name)),
    topSnapshot: (type: string, range: string, day: string) => scoped(keys.topSnapshot(type, range, day)),
    topSnapshots: (type: string, range: string) => p + keys.topSnapshots(type, range),
    tracksIndexPk: p + keys.tracksIndexPk,
    unsyncedArtists: catalogKeys.unsyncedArtists,
    unsyncedAlbums: catalogKeys.unsyncedAlbums,
  } as const;
}
export type ListenerKeys = ReturnType<typeof listenerKeys>;

/**
 * The household: who the listeners are (shared/store/household.ts). One partition lists them
 * all (a household is a handful of accounts); a handle and a Spotify account each point at
 * one listener, so joining twice or two listeners on one handle fail a condition.
 */
export const householdKeys = {
  listeners: "LISTENERS",
  listener: (id: string) => ({ pk: "LISTENERS", sk: id }),
  handle: (handle: string) => ({ pk: `HANDLE#${handle}`, sk: "META" }),
  account: (spotifyId: string) => ({ pk: `ACCOUNT#${spotifyId}`, sk: "META" }),
  invite: (codeHash: string) => ({ pk: `INVITE#${codeHash}`, sk: "META" }),
  /** How far the removal of a listener's items got (Household.purge): resumable. */
  purge: (id: string) => ({ pk: `PURGE#${id}`, sk: "META" }),
  /** The upgrade's progress (shared/store/migrate.ts). */
  migration: { pk: "MIGRATION#household", sk: "META" },
} as const;

/**
 * The partition keys a statistics read may write (IAM `dynamodb:LeadingKeys`, StringLike): any
 * listener's snapshot items (`L#<id>#SNAP#…`: the parts and the zones index) and nothing else.
 * A listener id has no `#` (listenerKeys), so the first `*` stays within the id.
 */
export const SNAPSHOT_LEADING_KEYS = `${listenerPrefix("*")}${keys.statsSnapshot("*")}`;

export const indexes = {
  gsi1: { name: "gsi1", partitionKey: "gsi1pk", sortKey: "gsi1sk", sortKeyType: "S" },
  byCount: { name: "by_count", partitionKey: "gsi2pk", sortKey: "listen_count", sortKeyType: "N" },
} as const;

export const TTL_ATTRIBUTE = "expires_at";

/** Cursor names of import checkpoints: `import:<sha256 of the file>` (shared/import/importer.ts). */
export const IMPORT_CURSOR_PREFIX = "import:";

/** The table definition both the CDK stack and the local runtime create. */
export const tableDefinition = {
  partitionKey: "pk",
  sortKey: "sk",
  globalSecondaryIndexes: [indexes.gsi1, indexes.byCount],
  timeToLiveAttribute: TTL_ATTRIBUTE,
} as const;
