import type { Play, Track } from "../domain/entities.ts";
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
 *
 * The catalog is registered only for a track the hoard does not know yet (or that now credits
 * other artists or another album), and before the play: a conditional put that finds the item
 * is billed as a write all the same (two a play, most plays being of known tracks), while the
 * track read costs half a read unit. Registering first means a crash in between is repaired
 * by the replay, which still finds the track new.
 */
export async function recordListen(store: Store, play: Play, track: TrackInfo): Promise<RecordPlayResult> {
  const known = await store.getTrack(track.track_id);
  if (!known || catalogMoved(known, track)) await registerCatalog(store, track);
  return store.recordPlay(play, track);
}

/** Whether the player credits artists or an album the stored track does not (ids only). */
function catalogMoved(known: Pick<Track, "artists" | "album">, track: TrackInfo): boolean {
  const stored = new Set(known.artists.map((a) => a.id));
  return (
    track.artists.some((a) => !stored.has(a.id)) || (track.album?.id ?? null) !== (known.album?.id ?? null)
  );
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
