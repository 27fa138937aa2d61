import type { Clock } from "../clock.ts";
import type { Deps } from "../deps.ts";
import type { Album, Artist } from "../domain/entities.ts";
import { type ResolveCounts, resolveImportedTracks } from "../import/resolve.ts";
import { logger } from "../logger.ts";
import { createSpotifyClient } from "../spotify/client.ts";
import { type SpotifyApi, SpotifyError } from "../spotify/types.ts";
import type { Store } from "../store/port.ts";
import { type JobOutcome, type JobTrigger, runJob } from "./backfill.ts";

/**
 * The metadata sync: recording a play only registers its artists and album (id and name, on
 * the sparse "unsynced" index); this job fetches what statistics need — genres, popularity,
 * images, label, release date — and saving the full document takes it off the index.
 *
 * Ids Spotify no longer knows (removed or merged artists, withdrawn albums) are saved with
 * empty metadata and a `synced_at`, so they leave the queue instead of being asked for every
 * hour forever; they keep the name and image we had. A transient failure (5xx, an unreadable
 * answer) leaves that chunk in the queue for the next run and the sync goes on; a 429, a
 * revoked link or a missing link stops it (the error is thrown).
 */

export const JOB_METADATA_SYNC = "metadata-sync";
/** Saved between chunks, so a run stopped by a 429 keeps what it fetched. */
const ARTIST_CHUNK = 50;
const ALBUM_CHUNK = 20;

export interface SyncCounts {
  /** Saved with Spotify's metadata. */
  synced: number;
  /** Spotify no longer knows them: saved empty, off the queue. */
  missing: number;
  /** Left in the queue by a transient failure. */
  failed: number;
}

export interface MetadataSyncResult {
  /** Imported tracks given their Spotify artists, album and duration first (shared/import/resolve.ts). */
  tracks: ResolveCounts;
  artists: SyncCounts;
  albums: SyncCounts;
}

export interface MetadataSyncDeps {
  spotify: SpotifyApi;
  store: Store;
  clock: Clock;
}

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/**
 * Fetches each chunk and saves every id in it; a Spotify "unavailable" fails that chunk only,
 * every other fault is thrown.
 */
async function syncKind<M extends { id: string }>(
  ids: readonly string[],
  size: number,
  fetch: (ids: string[]) => Promise<M[]>,
  save: (id: string, meta: M | null) => Promise<void>,
  kind: string,
): Promise<SyncCounts> {
  const counts: SyncCounts = { synced: 0, missing: 0, failed: 0 };
  for (const chunk of chunks(ids, size)) {
    let found: M[];
    try {
      found = await fetch(chunk);
    } catch (err) {
      if (!(err instanceof SpotifyError) || err.fault.type !== "unavailable") throw err;
      logger.warn(`metadata sync: ${kind} chunk failed; it stays queued`, {
        ids: chunk.length,
        error: err.message,
      });
      counts.failed += chunk.length;
      continue;
    }
    const byId = new Map(found.map((m) => [m.id, m]));
    for (const id of chunk) {
      const meta = byId.get(id) ?? null;
      await save(id, meta);
      if (meta) counts.synced++;
      else counts.missing++;
    }
  }
  return counts;
}

export async function syncMetadata(
  deps: MetadataSyncDeps,
  opts: { limit: number },
): Promise<MetadataSyncResult> {
  const { spotify, store } = deps;
  const syncedAt = () => deps.clock().toISOString();
  // First, so the artists and albums it learns are synced in the same run.
  const tracks = await resolveImportedTracks({ spotify, store }, { limit: opts.limit });

  const artistIds = await store.listUnsyncedArtists(opts.limit);
  const artists = await syncKind(
    artistIds,
    ARTIST_CHUNK,
    (ids) => spotify.artists(ids),
    async (id, meta) => {
      const known = meta ? null : await store.getArtist(id);
      const artist: Artist = meta
        ? {
            artist_id: id,
            name: meta.name,
            genres: meta.genres,
            popularity: meta.popularity,
            image_url: meta.image_url,
            synced_at: syncedAt(),
          }
        : {
            artist_id: id,
            name: known?.name ?? id,
            genres: [],
            popularity: null,
            image_url: known?.image_url ?? null,
            synced_at: syncedAt(),
          };
      await store.saveArtistMetadata(artist);
    },
    "artist",
  );

  const albumIds = await store.listUnsyncedAlbums(opts.limit);
  const albums = await syncKind(
    albumIds,
    ALBUM_CHUNK,
    (ids) => spotify.albums(ids),
    async (id, meta) => {
      const known = meta ? null : await store.getAlbum(id);
      const album: Album = meta
        ? {
            album_id: id,
            name: meta.name,
            artists: meta.artists,
            image_url: meta.image_url,
            label: meta.label,
            release_date: meta.release_date,
            album_type: meta.album_type,
            total_tracks: meta.total_tracks,
            synced_at: syncedAt(),
          }
        : {
            album_id: id,
            name: known?.name ?? id,
            artists: known?.artists ?? [],
            image_url: known?.image_url ?? null,
            label: null,
            release_date: null,
            album_type: null,
            total_tracks: null,
            synced_at: syncedAt(),
          };
      await store.saveAlbumMetadata(album);
    },
    "album",
  );

  return { tracks, artists, albums };
}

/** One sync with the app's deps, recorded as a job run; not ok when a chunk stayed queued. */
export function runMetadataSyncJob(
  deps: Deps,
  trigger: JobTrigger,
  opts: { limit: number; spotify?: SpotifyApi },
): Promise<JobOutcome<MetadataSyncResult>> {
  return runJob(
    deps,
    JOB_METADATA_SYNC,
    trigger,
    () =>
      syncMetadata(
        { spotify: opts.spotify ?? createSpotifyClient(deps), store: deps.store, clock: deps.clock },
        { limit: opts.limit },
      ),
    { okOf: (r) => r.tracks.failed === 0 && r.artists.failed === 0 && r.albums.failed === 0 },
  );
}
