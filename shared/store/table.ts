/**
 * Single-table design. Every entity knows its own keys here, and nowhere else.
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
 *   counts        META#COUNTS            META                       plays, counted_plays, tracks, artists, albums
 *   stats snapshot SNAP#<range>@<from>   <dimension>#<n>            a named range's counters before a cutoff,
 *                                                                   gzip'd parts (shared/stats/snapshot.ts;
 *                                                                   derived, expires by TTL)
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
 *   spotify link  LINK#SPOTIFY           META
 *   job run       JOB#<job>              <started_at>               TTL: expires_at (epoch seconds)
 *   cursor        CURSOR#<name>          META
 *
 * Access patterns (one named function each in repository.ts):
 *   getTrack(id) · listTracksByCount(limit, cursor) · listTracksByLastListened(limit, cursor)
 *   recordPlay(play) — play + track counters + D/M/Y/ALL aggregates + counts in one transaction
 *   imports (shared/store/import-batch.ts): recordPlayBatch(id, plays) · listBatchPlays(id, keys) ·
 *   forgetBatch(id) · setLeasedCursor(name, value, lease) — idempotent per part, one run per file
 *   listPlays(from, to, limit, cursor) — newest first · newestPlay() · oldestPlay(from)
 *   deletePlay(listened_at, track_id) — the play out, recordPlay's counters back, one transaction
 *   putArtistIfAbsent / getArtist / batchGetArtists / listUnsyncedArtists / saveArtistMetadata
 *   putAlbumIfAbsent / getAlbum / listUnsyncedAlbums / saveAlbumMetadata   (both count new items)
 *   getDailyAggregates(day) · queryAggregates(bucket, dimension?) · countAggregates(bucket, dimension) · queryDays(year, from, to)
 *   batchGetAggregates(keys) · queryDayPacks(year) · putDayPack(pack)
 *   getStatsValidity(days) · bumpStatsGeneration() · queryStatsSnapshot / putStatsSnapshot ·
 *   snapshotZones / addSnapshotZone
 *   getCounts() · describeTable() · rebuild: scanForRebuild / putAggregateRecords /
 *   deleteAggregateRecords / putCounts
 *   lyrics and mood (shared/lyrics/store.ts): getLyrics / putLyrics · getEmotions / putEmotions ·
 *   batchGetAnalysis(ids) · emotionsFor(ids) (BatchGet, or all of gsi1 EMOTIONS for big ranges) ·
 *   getGeniusLyrics / putGeniusLyrics
 *   getSpotifyLink / saveSpotifyLink / markSpotifyNeedsReauth
 *   recordJobRun / listJobRuns(job) · getCursor / setCursor
 *
 * One partition (PLAYS) holds every play: a single person listens to ~50k tracks a year,
 * far below a partition's 1,000 WCU / 3,000 RCU, and a single partition makes "newest
 * first between two instants" one Query.
 */

export const keys = {
  track: (trackId: string) => ({ pk: `TRACK#${trackId}`, sk: "META" }),
  play: (listenedAt: string, trackId: string) => ({ pk: "PLAYS", sk: `${listenedAt}#${trackId}` }),
  playsPartition: "PLAYS",
  artist: (artistId: string) => ({ pk: `ARTIST#${artistId}`, sk: "META" }),
  album: (albumId: string) => ({ pk: `ALBUM#${albumId}`, sk: "META" }),
  aggregate: (bucket: string, dimension: string, id: string) => ({
    pk: `AGG#${bucket}`,
    sk: `${dimension}#${id}`,
  }),
  dayPacks: (year: string) => `PACK#${year}`,
  dayPack: (month: string) => ({ pk: `PACK#${month.slice(0, 4)}`, sk: month }),
  counts: { pk: "META#COUNTS", sk: "META" },
  statsSnapshot: (key: string) => `SNAP#${key}`,
  statsSnapshotPart: (key: string, dimension: string, n: number) => ({
    pk: `SNAP#${key}`,
    sk: `${dimension}#${n}`,
  }),
  statsSnapshotZones: { pk: "SNAP#INDEX", sk: "META" },
  statsGeneration: { pk: "META#STATS", sk: "GENERATION" },
  batchMarker: (batchId: string, part: string) => ({ pk: `BATCH#${batchId}`, sk: part }),
  playOverflow: (playSk: string, n: number) => ({ pk: "PLAYX", sk: `${playSk}#${n}` }),
  lyrics: (trackId: string) => ({ pk: `TRACK#${trackId}`, sk: "LYRICS" }),
  emotions: (trackId: string) => ({ pk: `TRACK#${trackId}`, sk: "EMOTIONS" }),
  emotionsIndexPk: "EMOTIONS",
  geniusLyrics: (songId: number) => ({ pk: `GENIUS#${songId}`, sk: "LYRICS" }),
  spotifyLink: { pk: "LINK#SPOTIFY", sk: "META" },
  jobRun: (job: string, startedAt: string) => ({ pk: `JOB#${job}`, sk: startedAt }),
  cursor: (name: string) => ({ pk: `CURSOR#${name}`, sk: "META" }),
  tracksIndexPk: "TRACKS",
  unsyncedArtists: "UNSYNCED#ARTIST",
  unsyncedAlbums: "UNSYNCED#ALBUM",
} as const;

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
