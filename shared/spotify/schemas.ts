import * as z from "zod";
import type {
  AlbumMetadata,
  ArtistMetadata,
  Observation,
  PlayableItem,
  RecentPlay,
  TopArtist,
  TopItems,
  TopTrack,
} from "./types.ts";

/**
 * The Spotify payloads we read, as zod schemas, and the pure functions that turn them into
 * the shapes of types.ts. Objects are loose (Spotify adds fields all the time and the
 * February 2026 development-mode changes removed others: popularity, genres, label,
 * followers…), so anything we do not strictly need is `.nullish()`, and cosmetic fields
 * `.catch()` a neutral value rather than failing a whole poll.
 */

// ------------------------------------------------------------------ building blocks

const str = z.string();
/** A field Spotify may omit, send as null, or (rarely) send in an odd shape: null then. */
const optStr = z.string().nullish().catch(null);
const optNum = z.number().nullish().catch(null);
const optBool = z.boolean().nullish().catch(null);

export const imageSchema = z.looseObject({
  url: str,
  // Both are null for some user-uploaded images (playlists, profiles).
  height: optNum,
  width: optNum,
});
export type SpotifyImage = z.infer<typeof imageSchema>;
/** Missing, null or malformed image lists all read as "no images". */
const imagesSchema = z.array(imageSchema).nullish().catch(null);

const externalUrlsSchema = z.looseObject({ spotify: optStr }).nullish().catch(null);

export const simplifiedArtistSchema = z.looseObject({
  // Local files list artists without ids.
  id: optStr,
  name: z.string().catch(""),
  uri: optStr,
});

export const simplifiedAlbumSchema = z.looseObject({
  id: optStr,
  name: z.string().catch(""),
  uri: optStr,
  album_type: optStr,
  release_date: optStr,
  total_tracks: optNum,
  images: imagesSchema,
  artists: z.array(simplifiedArtistSchema).nullish().catch(null),
});

export const trackSchema = z.looseObject({
  type: z.literal("track"),
  /** null for local files. */
  id: optStr,
  name: str,
  uri: str,
  duration_ms: z.number().nonnegative(),
  explicit: optBool,
  is_local: optBool,
  artists: z.array(simplifiedArtistSchema).nullish().catch(null),
  album: simplifiedAlbumSchema.nullish().catch(null),
  external_urls: externalUrlsSchema,
  // Removed for development-mode apps since 2024: present, null or absent.
  preview_url: optStr,
  popularity: optNum,
});
export type SpotifyTrack = z.infer<typeof trackSchema>;

export const showSchema = z.looseObject({
  id: optStr,
  name: z.string().catch(""),
  publisher: optStr,
  uri: optStr,
  images: imagesSchema,
});

export const episodeSchema = z.looseObject({
  type: z.literal("episode"),
  id: optStr,
  name: str,
  uri: str,
  duration_ms: z.number().nonnegative(),
  explicit: optBool,
  images: imagesSchema,
  show: showSchema.nullish().catch(null),
  external_urls: externalUrlsSchema,
  audio_preview_url: optStr,
});
export type SpotifyEpisode = z.infer<typeof episodeSchema>;

/**
 * Anything else in the `item` slot (an audiobook chapter, a type Spotify adds later, or a
 * track too broken to read): not a listen we can record, but not a reason to fail the poll.
 */
const otherItemSchema = z
  .looseObject({ type: z.string().catch("unknown") })
  .transform((o) => ({ type: "other" as const, original_type: o.type }));

export const playableSchema = z.union([trackSchema, episodeSchema, otherItemSchema]);
export type SpotifyPlayable = z.infer<typeof playableSchema>;

export const contextSchema = z.looseObject({ type: optStr, uri: optStr, href: optStr });

export const deviceSchema = z.looseObject({
  id: optStr,
  name: z.string().catch(""),
  type: z.string().catch("Unknown"),
  is_active: optBool,
  is_private_session: optBool,
  is_restricted: optBool,
  volume_percent: optNum,
});

// ------------------------------------------------------------------ endpoint payloads

/** POST {accounts}/api/token, both grants. `refresh_token` is often absent on a refresh. */
export const tokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string().catch("Bearer"),
  expires_in: z.number().positive().catch(3600),
  scope: optStr,
  refresh_token: optStr,
});
export type SpotifyTokenResponse = z.infer<typeof tokenResponseSchema>;

/** The accounts service's OAuth errors: `{ error: "invalid_grant", error_description }`. */
export const accountsErrorSchema = z.looseObject({ error: z.string(), error_description: optStr });

/** The Web API's errors: `{ error: { status, message, reason? } }`. */
export const apiErrorSchema = z.looseObject({
  error: z.looseObject({ status: optNum, message: optStr, reason: optStr }),
});

/** GET /me/player?additional_types=track,episode (200; a 204 has no body). */
export const playerStateSchema = z.looseObject({
  device: deviceSchema.nullish().catch(null),
  repeat_state: z.enum(["off", "track", "context"]).nullish().catch(null),
  shuffle_state: optBool,
  context: contextSchema.nullish().catch(null),
  timestamp: optNum,
  progress_ms: optNum,
  is_playing: z.boolean().catch(false),
  item: playableSchema.nullish(),
  currently_playing_type: optStr,
});
export type SpotifyPlayerState = z.infer<typeof playerStateSchema>;

export const playHistorySchema = z.looseObject({
  track: playableSchema,
  played_at: z.iso.datetime({ offset: true }),
  context: contextSchema.nullish().catch(null),
});

/** GET /me/player/recently-played */
export const recentlyPlayedSchema = z.looseObject({
  // One unreadable entry must not cost the other 49: it reads as null and is left out.
  items: z.array(playHistorySchema.nullable().catch(null)),
  next: optStr,
  cursors: z.looseObject({ after: optStr, before: optStr }).nullish().catch(null),
  limit: optNum,
});

/** GET /artists/{id}, and each entry of GET /artists?ids= */
export const artistSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  genres: z.array(z.string()).nullish().catch(null),
  popularity: optNum,
  images: imagesSchema,
});
export type SpotifyArtist = z.infer<typeof artistSchema>;

/** GET /artists?ids= (≤ 50): unknown ids come back as null entries. */
export const severalArtistsSchema = z.looseObject({ artists: z.array(artistSchema.nullable().catch(null)) });

/** GET /albums/{id}, and each entry of GET /albums?ids= */
export const albumSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  artists: z.array(simplifiedArtistSchema).nullish().catch(null),
  images: imagesSchema,
  label: optStr,
  release_date: optStr,
  album_type: optStr,
  total_tracks: optNum,
});
export type SpotifyAlbum = z.infer<typeof albumSchema>;

/** GET /albums?ids= (≤ 20) */
export const severalAlbumsSchema = z.looseObject({ albums: z.array(albumSchema.nullable().catch(null)) });

/** GET /tracks?ids=: unknown ids come back as null. */
export const severalTracksSchema = z.looseObject({ tracks: z.array(trackSchema.nullable().catch(null)) });

/** GET /me/top/artists: a paging object of full artists. */
export const topArtistsSchema = z.looseObject({
  // One unreadable entry must not cost the rest: it reads as null and is left out.
  items: z.array(artistSchema.extend({ external_urls: externalUrlsSchema }).nullable().catch(null)),
  total: optNum,
});

/** GET /me/top/tracks: a paging object of full tracks. */
export const topTracksSchema = z.looseObject({
  items: z.array(trackSchema.nullable().catch(null)),
  total: optNum,
});

/** GET /me */
export const userSchema = z.looseObject({
  id: z.string(),
  display_name: optStr,
});

// ------------------------------------------------------------------ normalisers

/**
 * Spotify lists images widest first (640, 300, 64). We want the smallest that is still at
 * least 64 px (enough for a list row or the README card, and the lightest to fetch); when
 * no image says its size, or all are smaller, the last one.
 */
export function pickImage(images: readonly SpotifyImage[] | null | undefined): string | null {
  if (!images || images.length === 0) return null;
  let best: { url: string; size: number } | null = null;
  for (const img of images) {
    const size = Math.max(img.width ?? 0, img.height ?? 0);
    if (size >= 64 && (best === null || size < best.size)) best = { url: img.url, size };
  }
  return best?.url ?? images.at(-1)?.url ?? null;
}

function artistsOf(list: z.infer<typeof simplifiedArtistSchema>[] | null | undefined) {
  return (list ?? []).map((a) => ({ id: a.id ?? null, name: a.name }));
}

function contextOf(ctx: z.infer<typeof contextSchema> | null | undefined): RecentPlay["context"] {
  return ctx?.type && ctx.uri ? { type: ctx.type, uri: ctx.uri } : null;
}

/** A track, local file or episode as the capture core sees it; null for anything else. */
export function toPlayableItem(item: SpotifyPlayable): PlayableItem | null {
  if (item.type === "track") {
    // Local files have `is_local` and no id: their URI (spotify:local:artist:album:title:secs) is the key.
    const local = item.is_local === true || !item.id;
    const album = item.album;
    return {
      key: local || !item.id ? item.uri : item.id,
      kind: local ? "local" : "track",
      name: item.name,
      uri: item.uri,
      artists: artistsOf(item.artists),
      album: album ? { id: album.id ?? null, name: album.name, image_url: pickImage(album.images) } : null,
      duration_ms: Math.round(item.duration_ms),
      ...(typeof item.explicit === "boolean" ? { explicit: item.explicit } : {}),
      url: item.external_urls?.spotify ?? null,
    };
  }
  if (item.type === "episode") {
    const show = item.show;
    // The show stands in for both artist and album. Their ids stay null on purpose: a show id
    // is neither an artist nor an album id, and the metadata sync must never ask for it.
    const byline = show?.publisher || show?.name;
    return {
      key: item.id ?? item.uri,
      kind: "episode",
      name: item.name,
      uri: item.uri,
      artists: byline ? [{ id: null, name: byline }] : [],
      album: show
        ? { id: null, name: show.name, image_url: pickImage(item.images) ?? pickImage(show.images) }
        : null,
      duration_ms: Math.round(item.duration_ms),
      ...(typeof item.explicit === "boolean" ? { explicit: item.explicit } : {}),
      url: item.external_urls?.spotify ?? null,
    };
  }
  return null;
}

/**
 * `/me/player` → Observation. `state` is null for a 204. Order matters: ads arrive with
 * `item: null`, so the type is looked at before the item; a private session records
 * nothing whatever it plays.
 */
export function toObservation(state: SpotifyPlayerState | null): Observation {
  if (!state?.device) return { type: "nothing" };
  if (state.device.is_private_session === true) return { type: "private" };
  const type = state.currently_playing_type;
  if (type === "ad") return { type: "unsupported", reason: "ad" };
  if (type === "unknown") return { type: "unsupported", reason: "unknown" };
  if (!state.item) return { type: "nothing" };
  const item = toPlayableItem(state.item);
  if (!item) return { type: "unsupported", reason: "unknown" };
  const device = state.device;
  return {
    type: "item",
    item,
    progress_ms: Math.max(0, Math.round(state.progress_ms ?? 0)),
    is_playing: state.is_playing,
    timestamp: state.timestamp ?? null,
    device: { id: device.id ?? null, name: device.name, type: device.type },
    context: contextOf(state.context),
    shuffle_state: state.shuffle_state ?? null,
    repeat_state: state.repeat_state ?? null,
  };
}

/** Parses a raw `/me/player` body (null for 204); throws a ZodError on a body we cannot read. */
export function parsePlayerState(body: unknown): Observation {
  return toObservation(body === null || body === undefined ? null : playerStateSchema.parse(body));
}

export function toRecentPlay(entry: z.infer<typeof playHistorySchema>): RecentPlay | null {
  const item = toPlayableItem(entry.track);
  if (!item) return null;
  return { item, played_at: new Date(entry.played_at).toISOString(), context: contextOf(entry.context) };
}

/** Newest first, whatever order Spotify used; entries we cannot read are left out. */
export function toRecentPlays(body: z.infer<typeof recentlyPlayedSchema>): RecentPlay[] {
  return body.items
    .map((entry) => (entry ? toRecentPlay(entry) : null))
    .filter((p): p is RecentPlay => p !== null)
    .sort((a, b) => (a.played_at < b.played_at ? 1 : a.played_at > b.played_at ? -1 : 0));
}

export function toArtistMetadata(a: SpotifyArtist): ArtistMetadata {
  return {
    id: a.id,
    name: a.name,
    genres: a.genres ?? [],
    popularity: a.popularity ?? null,
    image_url: pickImage(a.images),
  };
}

export function toAlbumMetadata(a: SpotifyAlbum): AlbumMetadata {
  return {
    id: a.id,
    name: a.name,
    artists: artistsOf(a.artists),
    image_url: pickImage(a.images),
    label: a.label ?? null,
    release_date: a.release_date ?? null,
    album_type: a.album_type ?? null,
    total_tracks: a.total_tracks ?? null,
  };
}

export function toTopArtists(body: z.infer<typeof topArtistsSchema>): TopItems {
  const items: TopArtist[] = body.items
    .filter((a) => a !== null)
    .map((a, i) => ({
      rank: i + 1,
      artist_id: a.id,
      name: a.name,
      genres: a.genres ?? [],
      popularity: a.popularity ?? null,
      image_url: pickImage(a.images),
      url: a.external_urls?.spotify ?? null,
    }));
  return { type: "artists", total: body.total ?? items.length, items };
}

export function toTopTracks(body: z.infer<typeof topTracksSchema>): TopItems {
  const items: TopTrack[] = [];
  for (const t of body.items) {
    const item = t ? toPlayableItem(t) : null;
    if (!t || !item) continue;
    items.push({
      rank: items.length + 1,
      track_id: item.key,
      name: item.name,
      artists: item.artists,
      album: item.album,
      duration_ms: item.duration_ms,
      popularity: t.popularity ?? null,
      url: item.url ?? null,
    });
  }
  return { type: "tracks", total: body.total ?? items.length, items };
}
