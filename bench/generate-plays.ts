/**
 * A listening history for the statistics bench: one person's habits (a library of a few
 * thousand tracks whose popularity falls off like Zipf's law, more music in the evening, a few
 * quiet days, ~10% skips), N plays a day over D days ending at `endMs`.
 *
 * `loadHistory` is a LOADER, not the capture path: instead of 100,000 recordListen calls (a read
 * and a transaction of ~15 items each) it folds every play through the same `playDeltas` the
 * play transaction applies (shared/stats/aggregates.ts), builds the track, artist, album and
 * counts items in memory, and BatchWrites everything, 25 items a request, 8 requests at a time.
 * The result is what recordListen and the metadata sync would have left:
 * test/adapter/bench-loader.test.ts loads two listeners both ways and compares every item.
 * What bounds its speed is DynamoDB Local itself (~0.3 ms of its CPU per item once warm, against
 * ~0.07 ms of the loader's): 100,000 plays are ~490,000 items, most of them the D, M, Y and
 * ALL buckets' aggregates.
 */
import { type DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { Artist, Play } from "#shared/domain/entities.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import { createAggregateFold } from "#shared/stats/aggregates.ts";
import { batchGet, batchWrite } from "#shared/store/context.ts";
import type { TrackInfo } from "#shared/store/port.ts";
import { listenerKeys } from "#shared/store/table.ts";
import { playOf } from "#test/support/plays.ts";
import { rng } from "#test/support/rng.ts";

/** Index drawn with weight 1 / (rank + 1)^s: few favourites, a long tail. */
function zipf(n: number, s: number, random: () => number): () => number {
  const cumulative: number[] = [];
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += 1 / (i + 1) ** s;
    cumulative.push(sum);
  }
  return () => {
    const x = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cumulative[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

const GENRES = ["indie rock", "shoegaze", "dream pop", "techno", "jazz", "hip hop", "folk", "ambient"];
// Evening-heavy day: relative weight of each local (UTC here) hour.
const HOUR_WEIGHTS = [2, 1, 1, 0, 0, 0, 1, 3, 5, 5, 4, 4, 5, 5, 4, 4, 5, 6, 8, 9, 9, 8, 6, 4];

export interface HistoryOptions {
  playsPerDay: number;
  days: number;
  endMs: number;
  seed?: number;
  /** Library size: 400 artists, 2 albums each, 4 tracks per album unless told otherwise. */
  artists?: number;
  albums?: number;
  tracks?: number;
}

export interface CatalogArtist {
  id: string;
  name: string;
  genres: string[] | null;
}

export interface History {
  plays: { play: Play; track: TrackInfo }[];
  artists: CatalogArtist[];
}

export function generateHistory(opts: HistoryOptions): History {
  const random = rng(opts.seed ?? 42);
  const artistCount = opts.artists ?? 400;
  const albumCount = opts.albums ?? artistCount * 2;
  const trackCount = opts.tracks ?? albumCount * 4;
  const artists: CatalogArtist[] = Array.from({ length: artistCount }, (_, i) => ({
    id: `artist${i}`,
    name: `Artist ${i}`,
    // Most synced with genres, some with none, some not synced yet.
    genres:
      i % 10 === 9
        ? null
        : i % 10 === 8
          ? []
          : [GENRES[i % GENRES.length] as string, GENRES[(i * 7) % GENRES.length] as string],
  }));
  // Album a belongs to artist a mod artists, track t to album t mod albums: every artist has
  // albums, every album tracks, in the proportions asked for.
  const albums = Array.from({ length: albumCount }, (_, a) => ({
    artist: artists[a % artistCount] as CatalogArtist,
    album: { id: `album${a}`, name: `Album ${a}`, image_url: `https://i.scdn.co/image/album${a}` },
  }));
  const tracks: TrackInfo[] = [];
  for (let t = 0; t < trackCount; t++) {
    const { artist, album } = albums[t % albumCount] as (typeof albums)[number];
    const feat = random() < 0.15 ? [artists[Math.floor(random() * artists.length)] as CatalogArtist] : [];
    tracks.push({
      track_id: `track${t}`,
      kind: "track",
      name: `Track ${t}`,
      uri: `spotify:track:track${t}`,
      artists: [artist, ...feat].map(({ id, name }) => ({ id, name })),
      album,
      duration_ms: 150_000 + Math.floor(random() * 150_000),
    });
  }
  // Shuffle so that popularity is not ordered by artist.
  for (let i = tracks.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [tracks[i], tracks[j]] = [tracks[j] as TrackInfo, tracks[i] as TrackInfo];
  }
  const pickTrack = zipf(tracks.length, 1.05, random);
  const pickHour = (() => {
    const total = HOUR_WEIGHTS.reduce((a, b) => a + b, 0);
    return () => {
      let x = random() * total;
      for (const [h, w] of HOUR_WEIGHTS.entries()) {
        x -= w;
        if (x < 0) return h;
      }
      return 23;
    };
  })();

  const plays: History["plays"] = [];
  const firstDay = Math.floor(opts.endMs / 86_400_000) - opts.days + 1;
  for (let d = 0; d < opts.days; d++) {
    const dayStart = (firstDay + d) * 86_400_000;
    if (random() < 0.05) continue; // a day without music
    const n = Math.max(0, Math.round(opts.playsPerDay * (0.5 + random())));
    const used = new Set<string>();
    for (let k = 0; k < n; k++) {
      const track = tracks[pickTrack()] as TrackInfo;
      const at = dayStart + pickHour() * 3_600_000 + Math.floor(random() * 3_600_000);
      if (at >= opts.endMs) continue;
      const listenedAt = new Date(at).toISOString();
      if (used.has(`${listenedAt}#${track.track_id}`)) continue;
      used.add(`${listenedAt}#${track.track_id}`);
      const counted = random() >= 0.1;
      const listened = counted
        ? track.duration_ms - Math.floor(random() * 20_000)
        : Math.floor(random() * 25_000);
      plays.push({
        track,
        play: playOf(track, at, listened, counted, {
          kind: "track",
          device_name: "Laptop",
          device_type: "Computer",
          context_type: "playlist",
          context_uri: "spotify:playlist:bench",
          shuffle_state: true,
        }),
      });
    }
  }
  plays.sort((a, b) => (a.play.listened_at < b.play.listened_at ? -1 : 1));
  return { plays, artists };
}

/**
 * The artist as the metadata sync leaves it once Spotify has answered (genres, popularity,
 * image), or null for one the sync has not reached yet (its item stays as recordListen put it).
 */
export function syncedArtist(a: CatalogArtist): Artist | null {
  if (a.genres === null) return null;
  return {
    artist_id: a.id,
    name: a.name,
    genres: a.genres,
    popularity: 50,
    image_url: `https://i.scdn.co/image/${a.id}`,
    synced_at: "2026-01-01T00:00:00.000Z",
  };
}

/**
 * Writes the history as recordListen (shared/capture/record.ts) and then the metadata sync
 * would have left it, as `listener`'s hoard, in a table where that listener has nothing yet
 * (their keys: shared/store/table.ts listenerKeys). Artists and albums are the catalog's: like
 * recordListen's conditional puts, only those not in the table yet are written and counted, so
 * members loaded after the owner find the owner's catalog and keep it.
 * test/adapter/bench-loader.test.ts checks the result against the real path, item for item.
 */
export async function loadHistory(
  client: DynamoDBDocumentClient,
  tableName: string,
  history: History,
  listener: string = OWNER_ID,
): Promise<{ plays: number; aggregates: number; items: number; seconds: number }> {
  const t0 = performance.now();
  const table = { client, TableName: tableName };
  const keys = listenerKeys(listener);
  const fold = createAggregateFold();
  const tracks = new Map<string, Record<string, unknown>>();
  const albums = new Map<string, Record<string, unknown>>();
  const artistNames = new Map<string, string>();
  const counts = { plays: 0, counted_plays: 0, tracks: 0 };
  const items: Record<string, unknown>[] = [];
  for (const { play, track } of history.plays) {
    fold.add(play, track.album);
    counts.plays += 1;
    if (play.counted) counts.counted_plays += 1;
    items.push({ ...keys.play(play.listened_at, play.track_id), entity: "play", ...play });
    const t = tracks.get(track.track_id) ?? {
      ...keys.track(track.track_id),
      entity: "track",
      ...track,
      explicit: null,
      first_listened: play.listened_at,
      gsi1pk: keys.tracksIndexPk,
      gsi2pk: keys.tracksIndexPk,
      listen_count: 0,
      skip_count: 0,
      listened_ms_total: 0,
      version: 0,
    };
    t.last_listened = play.listened_at;
    t.gsi1sk = play.listened_at;
    t.version = Number(t.version) + 1;
    if (play.counted) {
      t.listen_count = Number(t.listen_count) + 1;
      t.listened_ms_total = Number(t.listened_ms_total) + play.listened_ms;
    } else t.skip_count = Number(t.skip_count) + 1;
    tracks.set(track.track_id, t);
    // registerCatalog: a track's artists and album, skips included, the first credit winning.
    for (const a of track.artists) if (a.id && !artistNames.has(a.id)) artistNames.set(a.id, a.name);
    if (track.album?.id && !albums.has(track.album.id)) {
      albums.set(track.album.id, {
        ...keys.album(track.album.id),
        entity: "album",
        album_id: track.album.id,
        name: track.album.name,
        artists: track.artists,
        image_url: track.album.image_url,
        label: null,
        release_date: null,
        album_type: null,
        total_tracks: null,
        synced_at: null,
        gsi1pk: keys.unsyncedAlbums,
        gsi1sk: track.album.id,
      });
    }
  }
  counts.tracks = tracks.size;
  // The catalog already in the table (an earlier listener's) stays as it is, uncounted again.
  const present = new Set(
    (
      await batchGet(table, [
        ...[...artistNames.keys()].map((id) => keys.artist(id)),
        ...[...albums.keys()].map((id) => keys.album(id)),
      ])
    ).map((i) => String(i.pk)),
  );
  const catalog = new Map(history.artists.map((a) => [a.id, a]));
  const newArtists = [...artistNames]
    .filter(([id]) => !present.has(keys.artist(id).pk))
    .map(([id, name]) => {
      const synced = syncedArtist(catalog.get(id) ?? { id, name, genres: null });
      return synced
        ? { ...keys.artist(id), entity: "artist", ...synced }
        : {
            ...keys.artist(id),
            entity: "artist",
            gsi1pk: keys.unsyncedArtists,
            gsi1sk: id,
            artist_id: id,
            name,
            genres: null,
            popularity: null,
            image_url: null,
            synced_at: null,
          };
    });
  const newAlbums = [...albums.values()].filter((a) => !present.has(String(a.pk)));
  const aggregates = fold.items();
  for (const group of [
    tracks.values(),
    newAlbums,
    newArtists,
    aggregates.map((a) => keys.scoped(a)),
    [{ ...keys.counts, ...counts }],
  ]) {
    for (const item of group) items.push(item);
  }
  await batchWrite(
    table,
    items.map((Item) => ({ PutRequest: { Item } })),
  );
  // Counted as putIfAbsentCounted counts: an ADD per kind that gained items (none: no write).
  const added = Object.entries({ artists: newArtists.length, albums: newAlbums.length }).filter(
    ([, n]) => n > 0,
  );
  if (added.length > 0) {
    await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: keys.catalogCounts,
        UpdateExpression: `ADD ${added.map(([k]) => `${k} :${k}`).join(", ")}`,
        ExpressionAttributeValues: Object.fromEntries(added.map(([k, n]) => [`:${k}`, n])),
      }),
    );
  }
  return {
    plays: counts.plays,
    aggregates: aggregates.length,
    items: items.length + (added.length > 0 ? 1 : 0),
    seconds: (performance.now() - t0) / 1000,
  };
}
