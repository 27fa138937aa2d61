import type { Play } from "../domain/entities.ts";
import { isSyntheticId } from "../domain/names.ts";
import type { FinishedListen } from "../domain/tracker.ts";
import type { RecentPlay } from "../spotify/types.ts";
import type { RecordPlayResult, Store, TrackInfo } from "../store/port.ts";

/** A finished listen as the stored play document. */
export function toPlay(f: FinishedListen, source: Play["source"], estimated = false): Play {
  return {
    track_id: f.item.key,
    kind: f.item.kind,
    name: f.item.name,
    artists: f.item.artists,
    album_id: f.item.album?.id ?? null,
    listened_at: f.listened_at,
    ended_at: f.ended_at,
    listened_ms: f.listened_ms,
    duration_ms: f.item.duration_ms,
    counted: f.counted,
    estimated,
    source,
    device_name: f.device?.name ?? null,
    device_type: f.device?.type ?? null,
    context_type: f.context?.type ?? null,
    context_uri: f.context?.uri ?? null,
    shuffle_state: f.shuffle_state,
  };
}

export function toTrackInfo(f: Pick<FinishedListen, "item"> | RecentPlay): TrackInfo {
  const i = f.item;
  return {
    track_id: i.key,
    kind: i.kind,
    name: i.name,
    uri: i.uri,
    artists: i.artists,
    album: i.album,
    duration_ms: i.duration_ms,
    explicit: i.explicit,
  };
}

/**
 * Stores one play with its counters, and registers its artists and album so the metadata
 * sync (not the hot loop) fetches what is missing. Idempotent: a replay is "duplicate".
 */
export async function recordListen(store: Store, play: Play, track: TrackInfo): Promise<RecordPlayResult> {
  const result = await store.recordPlay(play, track);
  if (result === "recorded") await registerCatalog(store, track);
  return result;
}

/** Registers a track's artists and album for the metadata sync (conditional puts: idempotent). */
export async function registerCatalog(store: Store, track: TrackInfo): Promise<void> {
  if (track.kind !== "track") return;
  // Synthetic (name-keyed) ids are ours: Spotify has nothing to say about them.
  for (const a of track.artists) {
    if (a.id && !isSyntheticId(a.id)) await store.putArtistIfAbsent({ artist_id: a.id, name: a.name });
  }
  const album = track.album;
  if (album?.id && !isSyntheticId(album.id)) {
    await store.putAlbumIfAbsent({
      album_id: album.id,
      name: album.name,
      artists: track.artists,
      image_url: album.image_url,
    });
  }
}
