import { registerCatalog } from "../capture/record.ts";
import type { Play, Track } from "../domain/entities.ts";
import { isSyntheticId, normName } from "../domain/names.ts";
import { countsAsPlay, DEFAULT_TRACKER_OPTIONS } from "../domain/tracker.ts";
import { logger } from "../logger.ts";
import { type PlayableItem, type SpotifyApi, SpotifyError } from "../spotify/types.ts";
import { awaitsSpotify, type ImportStore, importStoreOf } from "../store/import-batch.ts";
import type { Store, TrackInfo } from "../store/port.ts";
import { nameKey } from "./parse.ts";

/**
 * Imported tracks learn what Spotify's exports leave out. An Extended export names a track by
 * its Spotify id but its artists and album only by name (counted under synthetic `name:` ids,
 * shared/domain/names.ts) and gives no duration (so 30 s decided whether a listen counted).
 * This job asks Spotify's track endpoint for such tracks and rewrites their imported plays with
 * the real artists, album and duration: counters move from the name-keyed artist and album to
 * the Spotify ids, and `counted` is decided again with the real duration, each play exactly once
 * (ImportStore.rewritePlays). The artists and album then queue for the metadata sync (genres).
 *
 * It runs with the metadata sync (hourly, or POST /spotify/sync-metadata), `limit` tracks a run;
 * a track is done once its plays are rewritten, so a run stopped by a 429 or a crash resumes with
 * what is left. Tracks Spotify does not know are marked and not asked again. Tracks of the older
 * account export have no Spotify id and keep their name keys.
 */

const TRACK_CHUNK = 50;

export interface ResolveCounts {
  /** Rewritten with Spotify's artists, album and duration. */
  synced: number;
  /** Spotify does not know them: marked, not asked again. */
  missing: number;
  /** Left for the next run by a transient failure. */
  failed: number;
  /** Still waiting after this run (beyond its limit). */
  remaining: number;
  /**
   * Tracks whose name-keyed artists were linked to Spotify's ids (an artist known by name from
   * an export and by id from another track): their plays' artist counters moved.
   */
  linked: number;
  /** Tracks known by names only (the older account export) merged into their Spotify track. */
  merged: number;
}

const synthetic = (id: string | null | undefined) => !!id && isSyntheticId(id);

/** An imported track still keyed by names, or without a duration. */
export function awaitsResolution(t: Track & { unresolvable?: boolean; unresolved_plays?: boolean }): boolean {
  if (t.kind !== "track" || isSyntheticId(t.track_id) || t.unresolvable) return false;
  // The flag: imported plays await Spotify even when live capture has since given the track
  // document Spotify's details.
  return (
    t.unresolved_plays === true ||
    t.artists.some((a) => synthetic(a.id)) ||
    synthetic(t.album?.id) ||
    t.duration_ms === 0
  );
}

/** What an imported play of the track becomes once Spotify has described it; null: unchanged. */
export function resolvedPlay(p: Play, item: PlayableItem): Play | null {
  if (!awaitsSpotify(p)) return null;
  return {
    ...p,
    artists: item.artists,
    album_id: item.album?.id ?? null,
    duration_ms: item.duration_ms,
    counted: countsAsPlay(p.listened_ms, item.duration_ms, DEFAULT_TRACKER_OPTIONS),
  };
}

/**
 * The plays of these tracks, in one pass over the plays between the first and the last of them
 * (plays have no index by track: one pass per run, not one per track).
 */
async function playsOfTracks(store: Store, tracks: readonly Track[]): Promise<Map<string, Play[]>> {
  const out = new Map<string, Play[]>(tracks.map((t) => [t.track_id, []]));
  const firsts = tracks.flatMap((t) => (t.first_listened ? [t.first_listened] : [])).sort();
  const lasts = tracks.flatMap((t) => (t.last_listened ? [t.last_listened] : [])).sort();
  const from = firsts[0];
  const last = lasts.at(-1);
  if (!from || !last) return out;
  const to = new Date(Date.parse(last) + 1).toISOString();
  let cursor: string | undefined;
  do {
    const page = await store.listPlays({ from, to, limit: 500, ...(cursor ? { cursor } : {}) });
    for (const p of page.items) out.get(p.track_id)?.push(p);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return out;
}

async function allTracks(store: Store): Promise<Track[]> {
  const out: Track[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listTracksByCount(500, cursor);
    out.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return out;
}

/**
 * Spotify's artist id for each artist name the hoard's tracks credit with one id only (two
 * artists sharing a name are left apart: a name alone cannot tell them).
 */
export function artistIdsByName(tracks: readonly Track[]): Map<string, SpotifyArtist> {
  const ids = new Map<string, Map<string, SpotifyArtist>>();
  for (const t of tracks) {
    for (const a of t.artists) {
      if (!a.id || isSyntheticId(a.id)) continue;
      const k = normName(a.name);
      ids.set(k, (ids.get(k) ?? new Map()).set(a.id, { id: a.id, name: a.name }));
    }
  }
  return new Map(
    [...ids].flatMap(([k, byId]) => (byId.size === 1 ? [[k, [...byId.values()][0] as SpotifyArtist]] : [])),
  );
}

type SpotifyArtist = { id: string; name: string };

/** The artists with their name keys replaced by Spotify's ids where known; null: none to replace. */
export function linkedArtists(
  artists: Play["artists"],
  byName: ReadonlyMap<string, SpotifyArtist>,
): Play["artists"] | null {
  let changed = false;
  const out = artists.map((a) => {
    // Spotify's spelling comes along with its id.
    const known = a.id && isSyntheticId(a.id) ? byName.get(normName(a.name)) : undefined;
    if (!known) return a;
    changed = true;
    return known;
  });
  return changed ? out : null;
}

/** A play of a name-keyed track as a play of the Spotify track that is the same song. */
export function movedPlay(p: Play, to: Track): Play {
  const imported = p.source === "import";
  const duration = imported && to.duration_ms > 0 ? to.duration_ms : p.duration_ms;
  return {
    ...p,
    track_id: to.track_id,
    kind: to.kind,
    name: to.name,
    artists: to.artists,
    album_id: to.album?.id ?? null,
    duration_ms: duration,
    counted: imported ? countsAsPlay(p.listened_ms, duration, DEFAULT_TRACKER_OPTIONS) : p.counted,
  };
}

/**
 * Name-keyed tracks (the older account export names no ids) whose artist and title are those of
 * a track with a Spotify id: one song, so their plays move to that track. Where several Spotify
 * tracks share the names (a single and its album version), the most listened one takes them.
 */
async function mergeNamedTracks(store: ImportStore, limit: number): Promise<number> {
  const tracks = await allTracks(store);
  const byName = new Map<string, Track>();
  for (const t of tracks) {
    if (t.kind !== "track" || isSyntheticId(t.track_id)) continue;
    const k = nameKey(t.artists[0]?.name, t.name);
    const best = k === null ? undefined : byName.get(k);
    if (
      k !== null &&
      (!best ||
        t.listen_count > best.listen_count ||
        (t.listen_count === best.listen_count && t.track_id < best.track_id))
    ) {
      byName.set(k, t);
    }
  }
  const moves = tracks
    .flatMap((n) => {
      if (n.kind !== "track" || !isSyntheticId(n.track_id)) return [];
      const k = nameKey(n.artists[0]?.name, n.name);
      const to = k === null ? undefined : byName.get(k);
      return to ? [{ n, to }] : [];
    })
    .slice(0, limit);
  const plays = await playsOfTracks(
    store,
    moves.map((m) => m.n),
  );
  for (const { n, to } of moves) {
    const album = to.album ? { name: to.album.name, image_url: to.album.image_url } : null;
    await store.movePlays(n, to, plays.get(n.track_id) ?? [], (p) => movedPlay(p, to), album);
  }
  return moves.length;
}

/**
 * Tracks still crediting an artist by name whom another track names with Spotify's id (the
 * older account export's tracks, or a track Spotify does not know): their imported plays'
 * artist counters move to that id, exactly as resolution moves them.
 */
async function linkArtists(store: ImportStore, limit: number): Promise<number> {
  const tracks = await allTracks(store);
  const byName = artistIdsByName(tracks);
  const links = tracks
    .flatMap((t) => {
      const artists = linkedArtists(t.artists, byName);
      return artists ? [{ t, artists }] : [];
    })
    .slice(0, limit);
  const plays = await playsOfTracks(
    store,
    links.map((l) => l.t),
  );
  for (const { t, artists } of links) {
    const info: TrackInfo = { ...t, artists };
    const album = t.album ? { name: t.album.name, image_url: t.album.image_url } : null;
    await store.rewritePlays(
      info,
      plays.get(t.track_id) ?? [],
      (p) => {
        const linkedTo = p.source === "import" ? linkedArtists(p.artists, byName) : null;
        return linkedTo ? { ...p, artists: linkedTo } : null;
      },
      album,
    );
  }
  return links.length;
}

export async function resolveImportedTracks(
  deps: { spotify: SpotifyApi; store: Store },
  opts: { limit: number },
): Promise<ResolveCounts> {
  const store = importStoreOf(deps.store);
  const waiting = (await allTracks(store)).filter(awaitsResolution);
  const tracks = waiting.slice(0, opts.limit);
  const remaining = waiting.length - tracks.length;
  const counts: ResolveCounts = { synced: 0, missing: 0, failed: 0, remaining, linked: 0, merged: 0 };
  for (let i = 0; i < tracks.length; i += TRACK_CHUNK) {
    const chunk = tracks.slice(i, i + TRACK_CHUNK);
    let found: PlayableItem[];
    try {
      found = await deps.spotify.tracks(chunk.map((t) => t.track_id));
    } catch (err) {
      // A 429, a revoked or missing link stop the run (thrown); an outage fails this chunk only.
      if (!(err instanceof SpotifyError) || err.fault.type !== "unavailable") throw err;
      logger.warn("track resolution: chunk failed; it stays queued", {
        ids: chunk.length,
        error: err.message,
      });
      counts.failed += chunk.length;
      continue;
    }
    const byId = new Map(found.map((t) => [t.key, t]));
    const plays = await playsOfTracks(
      store,
      chunk.filter((t) => byId.has(t.track_id)),
    );
    for (const t of chunk) {
      const item = byId.get(t.track_id);
      if (!item) {
        await store.markUnresolvable(t.track_id);
        counts.missing++;
        continue;
      }
      const track: TrackInfo = {
        track_id: t.track_id,
        kind: "track",
        name: item.name,
        uri: item.uri,
        artists: item.artists,
        album: item.album,
        duration_ms: item.duration_ms,
        ...(item.explicit !== undefined ? { explicit: item.explicit } : {}),
      };
      const album = item.album ? { name: item.album.name, image_url: item.album.image_url } : null;
      await store.rewritePlays(track, plays.get(t.track_id) ?? [], (p) => resolvedPlay(p, item), album);
      await registerCatalog(store, track);
      counts.synced++;
    }
  }
  counts.merged = await mergeNamedTracks(store, opts.limit);
  counts.linked = await linkArtists(store, opts.limit);
  return counts;
}
