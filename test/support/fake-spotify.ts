import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A test-only fake of the parts of Spotify that hoardify talks to, over real HTTP on
 * 127.0.0.1: the Accounts service (authorization-code flow, optional PKCE, refresh) and the
 * Web API endpoints the capture code reads. It emits Spotify's own JSON shapes, so the app's
 * client normalises exactly what it would normalise in production.
 *
 * Time: `now()` (epoch ms, default `Date.now`) is the only clock. Nothing runs on timers:
 * the player is a pure function of the clock, advanced lazily (before every request and
 * every script call) up to `now()`, and every item change is processed at the exact moment
 * it happened, so a virtual clock that jumps an hour still yields exact `played_at` times.
 *
 * Choices where Spotify's behaviour is undocumented or inconsistent (kept in one place):
 * - 401 messages are Spotify's own: "No token provided" (no header), "Invalid access token"
 *   (unknown token), "The access token expired" (expired); all carry `WWW-Authenticate`.
 * - Scopes are enforced like Spotify (403 "Insufficient client scope"): /me/player needs
 *   user-read-playback-state, currently-playing that or user-read-currently-playing,
 *   recently-played user-read-recently-played, /me/top user-top-read.
 * - Recently-played lists a play when at least `min(minRecentPlayMs (30 s), duration)` was
 *   actually played (pauses excluded), however it ended (the documented rule; reports show
 *   Spotify sometimes differs). Episodes, ads, local files (spotify/web-api#1533) and plays
 *   that touched a private session are never listed. `played_at` is the moment the play
 *   ended (skip, natural end, repeat wrap, stop), in fake-clock time.
 * - With `after`, recently-played returns the `limit` plays closest after the cursor
 *   (paging forward in time, `next` uses `after=`); otherwise the newest ones before
 *   `before`/now (`next` uses `before=`). Items are newest first; `next` is null when
 *   nothing more is reachable, `cursors` null when the page is empty; only the last 50
 *   plays are ever reachable.
 * - End of playback (last item ends, nothing queued, repeat not "context"): the last item
 *   stays in the player paused at progress 0 (`is_playing: false`), as the desktop client
 *   shows it; only `stop()` makes the API answer 204.
 * - `timestamp` changes on play, pause, resume, seek, skip, item change (incl. repeat wrap
 *   and auto-advance, set to the exact change time) and device transfer; not on repeat,
 *   shuffle or private-session toggles.
 * - Ads play between items: `startAd` ends the current item now; when the ad ends, the
 *   queue resumes. During an ad `item` is null and `currently_playing_type` "ad".
 * - A private session still answers /me/player with `device.is_private_session: true`.
 * - Removed batch endpoints (dev mode, 2026) answer 403 `{"error":{"status":403,"message":"Forbidden"}}`.
 * - Refresh grants keep the refresh token valid and omit `refresh_token` unless
 *   `rotateRefreshTokens`; authorization codes are single-use and live 10 minutes.
 * - 429 bodies carry `error.reason` when a reason (e.g. QUOTA_EXCEEDED) is injected.
 *
 * Items built with the exported builders point their images and `href`s at the placeholder
 * origin `http://fake-spotify.invalid`; a server rewrites them in place to its own origin
 * when it first sees them (play, queue, skipTo, catalog.add), so tests can compare the
 * served JSON with the very objects they built. Images are a tiny PNG served at
 * `{origin}/img/<id>-<size>.png`.
 */

// ---------------------------------------------------------------------------------------
// Spotify JSON shapes
// ---------------------------------------------------------------------------------------

export interface SpotifyImage {
  url: string;
  width: number | null;
  height: number | null;
}
export interface SpotifyExternalUrls {
  spotify?: string;
}
export interface SpotifySimpleArtist {
  external_urls: SpotifyExternalUrls;
  href: string | null;
  id: string | null;
  name: string;
  type: "artist";
  uri: string | null;
}
export interface SpotifyArtist extends SpotifySimpleArtist {
  id: string;
  href: string;
  uri: string;
  followers: { href: null; total: number };
  genres: string[];
  images: SpotifyImage[];
  popularity: number;
}
export interface SpotifySimpleAlbum {
  album_type: "album" | "single" | "compilation" | null;
  total_tracks: number;
  available_markets: string[];
  external_urls: SpotifyExternalUrls;
  href: string | null;
  id: string | null;
  images: SpotifyImage[];
  name: string;
  release_date: string | null;
  release_date_precision: "year" | "month" | "day" | null;
  type: "album";
  uri: string | null;
  artists: SpotifySimpleArtist[];
}
export interface SpotifyAlbum extends SpotifySimpleAlbum {
  id: string;
  href: string;
  uri: string;
  copyrights: { text: string; type: string }[];
  external_ids: { upc?: string };
  genres: string[];
  label: string;
  popularity: number;
}
export interface SpotifyTrack {
  album: SpotifySimpleAlbum;
  artists: SpotifySimpleArtist[];
  available_markets: string[];
  disc_number: number;
  duration_ms: number;
  explicit: boolean;
  external_ids: { isrc?: string };
  external_urls: SpotifyExternalUrls;
  href: string | null;
  id: string | null;
  is_local: boolean;
  name: string;
  popularity: number;
  preview_url: string | null;
  track_number: number;
  type: "track";
  uri: string;
}
export interface SpotifySimpleShow {
  available_markets: string[];
  copyrights: { text: string; type: string }[];
  description: string;
  html_description: string;
  explicit: boolean;
  external_urls: SpotifyExternalUrls;
  href: string;
  id: string;
  images: SpotifyImage[];
  is_externally_hosted: boolean;
  languages: string[];
  media_type: string;
  name: string;
  publisher: string;
  type: "show";
  uri: string;
  total_episodes: number;
}
export interface SpotifyEpisode {
  audio_preview_url: string | null;
  description: string;
  html_description: string;
  duration_ms: number;
  explicit: boolean;
  external_urls: SpotifyExternalUrls;
  href: string;
  id: string;
  images: SpotifyImage[];
  is_externally_hosted: boolean;
  is_playable: boolean;
  language: string;
  languages: string[];
  name: string;
  release_date: string;
  release_date_precision: "year" | "month" | "day";
  resume_point: { fully_played: boolean; resume_position_ms: number };
  type: "episode";
  uri: string;
  show: SpotifySimpleShow;
}
export type SpotifyItem = SpotifyTrack | SpotifyEpisode;

export interface SpotifyDevice {
  id: string | null;
  is_active: boolean;
  is_private_session: boolean;
  is_restricted: boolean;
  name: string;
  type: string;
  volume_percent: number | null;
  supports_volume: boolean;
}
export interface SpotifyContext {
  type: string;
  href: string | null;
  external_urls: SpotifyExternalUrls;
  uri: string;
}
export interface SpotifyUser {
  country: string;
  display_name: string | null;
  explicit_content: { filter_enabled: boolean; filter_locked: boolean };
  external_urls: SpotifyExternalUrls;
  followers: { href: null; total: number };
  href: string;
  id: string;
  images: SpotifyImage[];
  product: string;
  type: "user";
  uri: string;
}
/** One recently-played entry exactly as Spotify returns it. */
export interface SpotifyPlayHistory {
  track: SpotifyTrack;
  played_at: string;
  context: SpotifyContext | null;
}

// ---------------------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------------------

/** Placeholder origin of builder-made URLs until a server adopts the object. */
export const PLACEHOLDER_ORIGIN = "http://fake-spotify.invalid";
const OPEN = "https://open.spotify.com";
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A random 22-character base-62 Spotify id. */
export function spotifyId(): string {
  const bytes = randomBytes(22);
  let id = "";
  for (const b of bytes) id += BASE62[b % 62];
  return id;
}

let counter = 0;
const seq = () => ++counter;

function images(id: string, sizes: number[] = [640, 300, 64]): SpotifyImage[] {
  return sizes.map((s) => ({ url: `${PLACEHOLDER_ORIGIN}/img/${id}-${s}.png`, width: s, height: s }));
}

function simpleArtist(a: SpotifyArtist): SpotifySimpleArtist {
  return {
    external_urls: { ...a.external_urls },
    href: a.href,
    id: a.id,
    name: a.name,
    type: "artist",
    uri: a.uri,
  };
}

export interface ArtistOpts {
  id?: string;
  name?: string;
  genres?: string[];
  popularity?: number;
  followers?: number;
}
export function artist(opts: ArtistOpts = {}): SpotifyArtist {
  const id = opts.id ?? spotifyId();
  return {
    external_urls: { spotify: `${OPEN}/artist/${id}` },
    followers: { href: null, total: opts.followers ?? 1000 },
    genres: opts.genres ?? [],
    href: `${PLACEHOLDER_ORIGIN}/v1/artists/${id}`,
    id,
    images: images(id),
    name: opts.name ?? `Artist ${seq()}`,
    popularity: opts.popularity ?? 50,
    type: "artist",
    uri: `spotify:artist:${id}`,
  };
}

/** Full artist objects behind a built album or track (Spotify embeds only simplified ones). */
const META = new WeakMap<object, { artists: SpotifyArtist[]; album: SpotifyAlbum | null }>();

function toArtists(list: (SpotifyArtist | ArtistOpts)[] | undefined): SpotifyArtist[] | undefined {
  return list?.map((a) => ("uri" in a ? (a as SpotifyArtist) : artist(a)));
}

export interface AlbumOpts {
  id?: string;
  name?: string;
  artists?: (SpotifyArtist | ArtistOpts)[];
  album_type?: "album" | "single" | "compilation";
  release_date?: string;
  release_date_precision?: "year" | "month" | "day";
  total_tracks?: number;
  label?: string;
  popularity?: number;
}
export function album(opts: AlbumOpts = {}): SpotifyAlbum {
  const id = opts.id ?? spotifyId();
  const artists = toArtists(opts.artists) ?? [artist()];
  const built: SpotifyAlbum = {
    album_type: opts.album_type ?? "album",
    total_tracks: opts.total_tracks ?? 10,
    available_markets: ["SE", "US"],
    external_urls: { spotify: `${OPEN}/album/${id}` },
    href: `${PLACEHOLDER_ORIGIN}/v1/albums/${id}`,
    id,
    images: images(id),
    name: opts.name ?? `Album ${seq()}`,
    release_date: opts.release_date ?? "2024-05-17",
    release_date_precision: opts.release_date_precision ?? "day",
    type: "album",
    uri: `spotify:album:${id}`,
    artists: artists.map(simpleArtist),
    copyrights: [{ text: "(P) Fake Records", type: "P" }],
    external_ids: { upc: "0000000000000" },
    genres: [],
    label: opts.label ?? "Fake Records",
    popularity: opts.popularity ?? 40,
  };
  META.set(built, { artists, album: null });
  return built;
}

function simpleAlbum(a: SpotifyAlbum): SpotifySimpleAlbum {
  return {
    album_type: a.album_type,
    total_tracks: a.total_tracks,
    available_markets: [...a.available_markets],
    external_urls: { ...a.external_urls },
    href: a.href,
    id: a.id,
    images: a.images.map((i) => ({ ...i })),
    name: a.name,
    release_date: a.release_date,
    release_date_precision: a.release_date_precision,
    type: "album",
    uri: a.uri,
    artists: a.artists.map((x) => ({ ...x, external_urls: { ...x.external_urls } })),
  };
}

export interface TrackOpts {
  id?: string;
  name?: string;
  duration_ms?: number;
  explicit?: boolean;
  popularity?: number;
  /** Defaults to the album's artists. */
  artists?: (SpotifyArtist | ArtistOpts)[];
  album?: SpotifyAlbum | AlbumOpts;
  track_number?: number;
  isrc?: string;
}
export function track(opts: TrackOpts = {}): SpotifyTrack {
  const id = opts.id ?? spotifyId();
  const explicitArtists = toArtists(opts.artists);
  const alb =
    opts.album && "uri" in opts.album
      ? (opts.album as SpotifyAlbum)
      : album({
          ...(opts.album as AlbumOpts | undefined),
          ...(explicitArtists ? { artists: explicitArtists } : {}),
        });
  const artists = explicitArtists ?? META.get(alb)?.artists ?? [];
  const duration = opts.duration_ms ?? 200_000;
  if (!(duration > 0)) throw new Error("duration_ms must be positive");
  const built: SpotifyTrack = {
    album: simpleAlbum(alb),
    artists: artists.map(simpleArtist),
    available_markets: ["SE", "US"],
    disc_number: 1,
    duration_ms: duration,
    explicit: opts.explicit ?? false,
    external_ids: { isrc: opts.isrc ?? `XX${id.slice(0, 10).toUpperCase()}` },
    external_urls: { spotify: `${OPEN}/track/${id}` },
    href: `${PLACEHOLDER_ORIGIN}/v1/tracks/${id}`,
    id,
    is_local: false,
    name: opts.name ?? `Track ${seq()}`,
    popularity: opts.popularity ?? 60,
    preview_url: null,
    track_number: opts.track_number ?? 1,
    type: "track",
    uri: `spotify:track:${id}`,
  };
  META.set(built, { artists, album: alb });
  return built;
}

/** `spotify:local:` URI segments are form-encoded (spaces become `+`). */
const localSegment = (s: string) => encodeURIComponent(s).replace(/%20/g, "+");

export interface LocalFileOpts {
  name?: string;
  artist?: string;
  album?: string;
  duration_ms?: number;
}
/** A local file as the Web API shows it: `is_local`, no ids, no images, URI as the key. */
export function localFile(opts: LocalFileOpts = {}): SpotifyTrack {
  const name = opts.name ?? "Title";
  const artistName = opts.artist ?? "Artist";
  const albumName = opts.album ?? "Album";
  const duration = opts.duration_ms ?? 200_000;
  if (!(duration > 0)) throw new Error("duration_ms must be positive");
  const uri = `spotify:local:${[artistName, albumName, name].map(localSegment).join(":")}:${Math.round(duration / 1000)}`;
  const localArtist: SpotifySimpleArtist = {
    external_urls: {},
    href: null,
    id: null,
    name: artistName,
    type: "artist",
    uri: null,
  };
  return {
    album: {
      album_type: null,
      total_tracks: 0,
      available_markets: [],
      external_urls: {},
      href: null,
      id: null,
      images: [],
      name: albumName,
      release_date: null,
      release_date_precision: null,
      type: "album",
      uri: null,
      artists: [],
    },
    artists: [localArtist],
    available_markets: [],
    disc_number: 0,
    duration_ms: duration,
    explicit: false,
    external_ids: {},
    external_urls: {},
    href: null,
    id: null,
    is_local: true,
    name,
    popularity: 0,
    preview_url: null,
    track_number: 0,
    type: "track",
    uri,
  };
}

export interface EpisodeOpts {
  id?: string;
  name?: string;
  duration_ms?: number;
  explicit?: boolean;
  release_date?: string;
  show?: { id?: string; name?: string; publisher?: string };
}
export function episode(opts: EpisodeOpts = {}): SpotifyEpisode {
  const id = opts.id ?? spotifyId();
  const showId = opts.show?.id ?? spotifyId();
  const duration = opts.duration_ms ?? 1_800_000;
  if (!(duration > 0)) throw new Error("duration_ms must be positive");
  const name = opts.name ?? `Episode ${seq()}`;
  return {
    audio_preview_url: null,
    description: `${name} description`,
    html_description: `<p>${name} description</p>`,
    duration_ms: duration,
    explicit: opts.explicit ?? false,
    external_urls: { spotify: `${OPEN}/episode/${id}` },
    href: `${PLACEHOLDER_ORIGIN}/v1/episodes/${id}`,
    id,
    images: images(id),
    is_externally_hosted: false,
    is_playable: true,
    language: "en",
    languages: ["en"],
    name,
    release_date: opts.release_date ?? "2025-01-15",
    release_date_precision: "day",
    resume_point: { fully_played: false, resume_position_ms: 0 },
    type: "episode",
    uri: `spotify:episode:${id}`,
    show: {
      available_markets: ["SE", "US"],
      copyrights: [],
      description: "A fake show",
      html_description: "<p>A fake show</p>",
      explicit: false,
      external_urls: { spotify: `${OPEN}/show/${showId}` },
      href: `${PLACEHOLDER_ORIGIN}/v1/shows/${showId}`,
      id: showId,
      images: images(showId),
      is_externally_hosted: false,
      languages: ["en"],
      media_type: "audio",
      name: opts.show?.name ?? `Show ${seq()}`,
      publisher: opts.show?.publisher ?? "Fake Publisher",
      type: "show",
      uri: `spotify:show:${showId}`,
      total_episodes: 100,
    },
  };
}

// ---------------------------------------------------------------------------------------
// Public interfaces
// ---------------------------------------------------------------------------------------

export type RepeatState = "off" | "track" | "context";

export interface PlayOpts {
  progressMs?: number;
  device?: Partial<SpotifyDevice>;
  /** e.g. `{ type: "playlist", uri: "spotify:playlist:<id>" }`; `null` for none. */
  context?: { type: string; uri: string } | null;
  shuffle?: boolean;
  /** Start paused (default: playing). */
  paused?: boolean;
}

/** One finished occurrence of something in the player (listened > 0), oldest first. */
export interface FakePlay {
  kind: "track" | "local" | "episode" | "ad" | "unknown";
  item: SpotifyItem | null;
  started_at: number;
  ended_at: number;
  listened_ms: number;
  context: SpotifyContext | null;
  private: boolean;
  /** Whether recently-played lists it. */
  listed: boolean;
}

export interface ScriptedPlayer {
  /** Ends what plays now and starts `item` (progress 0 unless given), playing. */
  play(item: SpotifyItem, opts?: PlayOpts): void;
  pause(): void;
  resume(): void;
  seek(ms: number): void;
  /** Items that play next, in order, when the current one ends or is skipped. */
  queue(...items: SpotifyItem[]): void;
  clearQueue(): void;
  /** Skip to the next queued item (or the parked end state when nothing is queued). */
  next(): void;
  /** Ends the current item and starts `item` now; the queue is kept. */
  skipTo(item: SpotifyItem): void;
  setRepeat(state: RepeatState): void;
  setShuffle(on: boolean): void;
  /** Moves playback to another device, keeping item and progress. */
  transfer(device: Partial<SpotifyDevice>): void;
  privateSession(on: boolean): void;
  /** Ends the current item and plays an ad (`item: null`); the queue resumes after it. */
  startAd(durationMs: number, opts?: { type?: "ad" | "unknown" }): void;
  /** Nothing active any more: the API answers 204. */
  stop(): void;
  state(): PlayerDebugState;
}

export interface PlayerDebugState {
  now: number;
  current: {
    type: "track" | "episode" | "ad" | "unknown";
    name: string | null;
    uri: string | null;
    progress_ms: number;
    duration_ms: number;
    is_playing: boolean;
    started_at: number;
    listened_ms: number;
  } | null;
  timestamp: number;
  queue: string[];
  repeat: RepeatState;
  shuffle: boolean;
  device: SpotifyDevice;
  private_session: boolean;
}

export type Fault =
  | { status: 429; retryAfterSeconds: number; reason?: string }
  | { status: 500 | 502 | 503 }
  | { status: 401 }
  | { delayMs: number }
  | { reset: true };

export interface FaultInjector {
  /**
   * The next `count` requests matching `match` (default: every `/v1/` request) get `fault`.
   * Rules are consumed in the order they were added; a delay is followed by the normal answer.
   */
  next(count: number, fault: Fault, match?: (method: string, path: string) => boolean): void;
  clear(): void;
  /** Requests still to be faulted. */
  pending(): number;
}

export interface FakeCall {
  method: string;
  /** Path without the query string, e.g. `/v1/me/player`. */
  path: string;
  query: string;
  /** 0 when the socket was reset. */
  status: number;
  /** Fake-clock time of arrival. */
  at: number;
}

export interface FakeCatalog {
  /** Registers an item (and its artists and album) and adopts its URLs. */
  add(...things: (SpotifyItem | SpotifyArtist | SpotifyAlbum)[]): void;
  artist(id: string): SpotifyArtist | undefined;
  album(id: string): SpotifyAlbum | undefined;
}

export interface FakeSpotify {
  /** Origin of the server, e.g. `http://127.0.0.1:PORT`. */
  origin: string;
  accountsUrl: string;
  apiUrl: string;
  player: ScriptedPlayer;
  faults: FaultInjector;
  catalog: FakeCatalog;
  calls: FakeCall[];
  /** Every listed play, newest first (recently-played exposes the first 50). */
  readonly history: SpotifyPlayHistory[];
  /** Every finished occurrence, oldest first, listed or not. */
  readonly plays: FakePlay[];
  user: SpotifyUser;
  /** The next /authorize redirects with `error=access_denied`. */
  denyNextAuthorization(): void;
  /** Issues tokens directly (no code flow), with all scopes the app uses unless given. */
  issueTokens(scope?: string): { access_token: string; refresh_token: string; expires_in: number };
  revokeRefreshTokens(): void;
  expireAccessTokens(): void;
  setBatchEndpointsRefused(refused: boolean): void;
  /**
   * Spotify's top list of one type as these ids, best first (every window alike); null: the
   * catalogue's order (the default), as Spotify recomputes it only about once a day.
   */
  setTop(type: "artists" | "tracks", ids: string[] | null): void;
  stop(): Promise<void>;
}

export interface FakeSpotifyOpts {
  now?: () => number;
  clientId?: string;
  clientSecret?: string;
  /** Refresh grants also return a new refresh token (default false). */
  rotateRefreshTokens?: boolean;
  /** Minimum played time for recently-played (default 30 000, capped at the duration). */
  minRecentPlayMs?: number;
  /** Access token lifetime (default 3600). */
  expiresInSeconds?: number;
  user?: { id?: string; display_name?: string | null; country?: string; product?: string };
}

export const DEFAULT_SCOPE =
  "user-read-playback-state user-read-currently-playing user-read-recently-played user-top-read";

// ---------------------------------------------------------------------------------------
// Player model
// ---------------------------------------------------------------------------------------

interface Occurrence {
  type: "track" | "episode" | "ad" | "unknown";
  item: SpotifyItem | null;
  durationMs: number;
  startedAt: number;
  /** Progress at `anchorAt`. */
  anchorProgress: number;
  anchorAt: number;
  playing: boolean;
  /** Played time accumulated up to `anchorAt`. */
  listenedMs: number;
  context: SpotifyContext | null;
  private: boolean;
}

const PNG_1X1 = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);

const ORIGIN_RE = /^(http:\/\/fake-spotify\.invalid|http:\/\/127\.0\.0\.1:\d+)(?=\/(img|v1)\/)/;

/** Rewrites builder/other-server URLs inside `value` to `origin`, in place. */
function adoptUrls(value: unknown, origin: string): void {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      if (typeof v === "string") value[i] = v.replace(ORIGIN_RE, origin);
      else adoptUrls(v, origin);
    }
  } else if (value !== null && typeof value === "object") {
    const rec = value as Record<string, unknown>;
    for (const [k, v] of Object.entries(rec)) {
      if (typeof v === "string") rec[k] = v.replace(ORIGIN_RE, origin);
      else adoptUrls(v, origin);
    }
  }
}

const randomToken = (prefix: string) => prefix + randomBytes(48).toString("base64url");

class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export async function startFakeSpotify(opts: FakeSpotifyOpts = {}): Promise<FakeSpotify> {
  const now = opts.now ?? Date.now;
  const clientId = opts.clientId ?? "fake-client-id";
  const clientSecret = opts.clientSecret ?? "fake-client-secret";
  const expiresIn = opts.expiresInSeconds ?? 3600;
  const minRecentPlayMs = opts.minRecentPlayMs ?? 30_000;

  let origin = "";
  let apiUrl = "";

  // ----- catalog -----
  const artists = new Map<string, SpotifyArtist>();
  const albums = new Map<string, SpotifyAlbum>();
  const tracks = new Map<string, SpotifyTrack>();
  const adopted = new WeakSet<object>();

  const adopt = (thing: SpotifyItem | SpotifyArtist | SpotifyAlbum): void => {
    if (adopted.has(thing)) return;
    adopted.add(thing);
    adoptUrls(thing, origin);
    if (thing.type === "artist") {
      artists.set(thing.id, thing);
    } else if (thing.type === "album") {
      albums.set(thing.id, thing);
      for (const a of META.get(thing)?.artists ?? []) adopt(a);
    } else if (thing.type === "track" && thing.id !== null) {
      tracks.set(thing.id, thing);
      const meta = META.get(thing);
      for (const a of meta?.artists ?? []) adopt(a);
      if (meta?.album) adopt(meta.album);
    }
  };

  const topOrder: { artists: string[] | null; tracks: string[] | null } = { artists: null, tracks: null };

  const catalog: FakeCatalog = {
    add: (...things) => {
      for (const t of things) adopt(t);
    },
    artist: (id) => artists.get(id),
    album: (id) => albums.get(id),
  };

  // ----- player -----
  const defaultDevice = (): SpotifyDevice => ({
    id: randomBytes(20).toString("hex"),
    is_active: true,
    is_private_session: false,
    is_restricted: false,
    name: "Fake Desktop",
    type: "Computer",
    volume_percent: 65,
    supports_volume: true,
  });
  let device = defaultDevice();
  let current: Occurrence | null = null;
  let timestamp = now();
  let repeat: RepeatState = "off";
  let shuffle = false;
  let privateOn = false;
  let queue: SpotifyItem[] = [];
  /** The items of the current context run, replayed by repeat "context". */
  let run: SpotifyItem[] = [];
  let playContext: SpotifyContext | null = null;
  /** The last real item, for parking after an ad when nothing follows. */
  let lastItem: SpotifyItem | null = null;
  const plays: FakePlay[] = [];
  const history: SpotifyPlayHistory[] = [];

  const buildContext = (c: { type: string; uri: string } | null | undefined): SpotifyContext | null => {
    if (!c) return null;
    const parts = c.uri.split(":");
    const id = parts[parts.length - 1] ?? "";
    const known = ["playlist", "album", "artist", "show"].includes(c.type);
    return {
      type: c.type,
      href: known ? `${apiUrl}/${c.type}s/${id}` : null,
      external_urls: known ? { spotify: `${OPEN}/${c.type}/${id}` } : {},
      uri: c.uri,
    };
  };

  const progressAt = (o: Occurrence, t: number) =>
    Math.min(o.durationMs, o.anchorProgress + (o.playing ? Math.max(0, t - o.anchorAt) : 0));
  const listenedAt = (o: Occurrence, t: number) =>
    o.listenedMs + (o.playing ? Math.max(0, Math.min(t, endTimeOf(o)) - o.anchorAt) : 0);
  /** When `o` reaches its end if left alone (Infinity when paused before the end). */
  function endTimeOf(o: Occurrence): number {
    if (o.anchorProgress >= o.durationMs) return o.anchorAt;
    return o.playing ? o.anchorAt + (o.durationMs - o.anchorProgress) : Number.POSITIVE_INFINITY;
  }
  const reanchor = (o: Occurrence, t: number) => {
    o.listenedMs = listenedAt(o, t);
    o.anchorProgress = progressAt(o, t);
    o.anchorAt = t;
  };

  const itemType = (item: SpotifyItem): "track" | "episode" => item.type;

  const begin = (item: SpotifyItem, t: number, progressMs = 0, playing = true): void => {
    adopt(item);
    lastItem = item;
    current = {
      type: itemType(item),
      item,
      durationMs: item.duration_ms,
      startedAt: t - progressMs,
      anchorProgress: Math.max(0, Math.min(progressMs, item.duration_ms)),
      anchorAt: t,
      playing,
      listenedMs: 0,
      context: playContext,
      private: privateOn,
    };
    timestamp = t;
  };

  /** Logs the end of the current occurrence at `t` (history when it qualifies). */
  const finish = (t: number): void => {
    const o = current;
    if (!o) return;
    current = null;
    const listened = Math.round(listenedAt(o, t));
    if (listened <= 0) return;
    const kind: FakePlay["kind"] =
      o.item === null
        ? o.type === "unknown"
          ? "unknown"
          : "ad"
        : o.item.type === "episode"
          ? "episode"
          : o.item.is_local
            ? "local"
            : "track";
    const listed =
      kind === "track" &&
      !o.private &&
      o.item !== null &&
      listened >= Math.min(minRecentPlayMs, o.durationMs);
    plays.push({
      kind,
      item: o.item,
      started_at: o.startedAt,
      ended_at: t,
      listened_ms: listened,
      context: o.context,
      private: o.private,
      listed,
    });
    if (listed && o.item?.type === "track") {
      history.unshift({ track: o.item, played_at: new Date(t).toISOString(), context: o.context });
    }
  };

  /** After the current occurrence ended (or was skipped) at `t`: what plays next. */
  const advanceToNext = (t: number, natural: boolean): void => {
    const ended = current;
    finish(t);
    if (natural && ended?.item && repeat === "track") {
      begin(ended.item, t);
      return;
    }
    let next = queue.shift();
    if (!next && repeat === "context" && run.length > 0) {
      queue = run.slice();
      next = queue.shift();
    }
    if (next) {
      begin(next, t);
      return;
    }
    // Nothing follows: park the last item paused at 0.
    if (lastItem) begin(lastItem, t, 0, false);
    else timestamp = t;
  };

  /** Processes every end that happened up to `t`, each at its exact time. */
  const sync = (t: number = now()): number => {
    for (let guard = 0; guard < 1_000_000; guard++) {
      if (!current) break;
      const end = endTimeOf(current);
      if (end > t) break;
      advanceToNext(end, true);
    }
    return t;
  };

  const player: ScriptedPlayer = {
    play(item, o = {}) {
      const t = sync();
      if (o.device) device = { ...device, ...o.device };
      if (o.shuffle !== undefined) shuffle = o.shuffle;
      finish(t);
      if (o.context !== undefined) playContext = buildContext(o.context);
      run = [item];
      begin(item, t, o.progressMs ?? 0, !o.paused);
      sync(t);
    },
    pause() {
      const t = sync();
      if (!current?.playing) return;
      reanchor(current, t);
      current.playing = false;
      timestamp = t;
    },
    resume() {
      const t = sync();
      if (!current || current.playing) return;
      reanchor(current, t);
      current.playing = true;
      timestamp = t;
    },
    seek(ms) {
      const t = sync();
      if (!current) return;
      reanchor(current, t);
      current.anchorProgress = Math.max(0, Math.min(ms, current.durationMs));
      timestamp = t;
      sync(t);
    },
    queue(...items) {
      sync();
      for (const i of items) adopt(i);
      queue.push(...items);
      run.push(...items);
    },
    clearQueue() {
      sync();
      queue = [];
    },
    next() {
      const t = sync();
      advanceToNext(t, false);
      sync(t);
    },
    skipTo(item) {
      const t = sync();
      finish(t);
      begin(item, t);
      sync(t);
    },
    setRepeat(state) {
      sync();
      repeat = state;
    },
    setShuffle(on) {
      sync();
      shuffle = on;
    },
    transfer(d) {
      const t = sync();
      device = { ...defaultDevice(), ...d, is_private_session: privateOn, is_active: true };
      timestamp = t;
    },
    privateSession(on) {
      sync();
      privateOn = on;
      device = { ...device, is_private_session: on };
      if (on && current) current.private = true;
    },
    startAd(durationMs, o = {}) {
      if (!(durationMs > 0)) throw new Error("durationMs must be positive");
      const t = sync();
      finish(t);
      current = {
        type: o.type ?? "ad",
        item: null,
        durationMs,
        startedAt: t,
        anchorProgress: 0,
        anchorAt: t,
        playing: true,
        listenedMs: 0,
        context: null,
        private: privateOn,
      };
      timestamp = t;
    },
    stop() {
      const t = sync();
      finish(t);
      queue = [];
      run = [];
      lastItem = null;
      timestamp = t;
    },
    state() {
      const t = sync();
      const c = current;
      return {
        now: t,
        current: c
          ? {
              type: c.type,
              name: c.item?.name ?? null,
              uri: c.item?.uri ?? null,
              progress_ms: Math.floor(progressAt(c, t)),
              duration_ms: c.durationMs,
              is_playing: c.playing,
              started_at: c.startedAt,
              listened_ms: Math.round(listenedAt(c, t)),
            }
          : null,
        timestamp,
        queue: queue.map((i) => i.uri),
        repeat,
        shuffle,
        device: { ...device },
        private_session: privateOn,
      };
    },
  };

  const playbackJson = (
    withDevice: boolean,
    additionalTypes: Set<string>,
  ): Record<string, unknown> | null => {
    const t = sync();
    const c = current;
    if (!c) return null;
    const showItem = c.item !== null && (c.item.type === "track" || additionalTypes.has("episode"));
    const disallows: Record<string, boolean> =
      c.type === "ad" || c.type === "unknown"
        ? {
            seeking: true,
            skipping_next: true,
            skipping_prev: true,
            toggling_repeat_context: true,
            toggling_repeat_track: true,
            toggling_shuffle: true,
            ...(c.playing ? { resuming: true } : { pausing: true }),
          }
        : c.playing
          ? { resuming: true }
          : { pausing: true };
    const body: Record<string, unknown> = {};
    if (withDevice) {
      body.device = { ...device };
      body.shuffle_state = shuffle;
      body.smart_shuffle = false;
      body.repeat_state = repeat;
    }
    Object.assign(body, {
      timestamp,
      context: c.item === null ? null : c.context,
      progress_ms: Math.floor(progressAt(c, t)),
      item: showItem ? c.item : null,
      currently_playing_type: c.type,
      actions: { disallows },
      is_playing: c.playing,
    });
    return body;
  };

  // ----- accounts -----
  interface CodeGrant {
    redirectUri: string;
    scope: string;
    expiresAt: number;
    challenge: string | null;
  }
  interface AccessToken {
    scope: Set<string>;
    expiresAt: number;
  }
  interface RefreshToken {
    scope: string;
    revoked: boolean;
    pkce: boolean;
  }
  const codes = new Map<string, CodeGrant>();
  const accessTokens = new Map<string, AccessToken>();
  const refreshTokens = new Map<string, RefreshToken>();
  let denyNext = false;
  let batchRefused = false;

  const newAccessToken = (scope: string): string => {
    const token = randomToken("BQ");
    accessTokens.set(token, {
      scope: new Set(scope.split(" ").filter(Boolean)),
      expiresAt: now() + expiresIn * 1000,
    });
    return token;
  };
  const newRefreshToken = (scope: string, pkce: boolean): string => {
    const token = randomToken("AQ");
    refreshTokens.set(token, { scope, revoked: false, pkce });
    return token;
  };

  // ----- faults -----
  interface Rule {
    remaining: number;
    fault: Fault;
    match: ((method: string, path: string) => boolean) | undefined;
  }
  let rules: Rule[] = [];
  const faults: FaultInjector = {
    next(count, fault, match) {
      if (count > 0) rules.push({ remaining: count, fault, match });
    },
    clear() {
      rules = [];
    },
    pending: () => rules.reduce((n, r) => n + r.remaining, 0),
  };
  const takeFault = (method: string, path: string): Fault | null => {
    for (const r of rules) {
      const applies = r.match ? r.match(method, path) : path.startsWith("/v1/");
      if (r.remaining > 0 && applies) {
        r.remaining--;
        rules = rules.filter((x) => x.remaining > 0);
        return r.fault;
      }
    }
    return null;
  };

  // ----- user -----
  const userId = opts.user?.id ?? "fakeuser";
  const user: SpotifyUser = {
    country: opts.user?.country ?? "SE",
    display_name: opts.user?.display_name === undefined ? "Fake User" : opts.user.display_name,
    explicit_content: { filter_enabled: false, filter_locked: false },
    external_urls: { spotify: `${OPEN}/user/${userId}` },
    followers: { href: null, total: 3 },
    href: `${PLACEHOLDER_ORIGIN}/v1/users/${userId}`,
    id: userId,
    images: [],
    product: opts.user?.product ?? "premium",
    type: "user",
    uri: `spotify:user:${userId}`,
  };

  const calls: FakeCall[] = [];
  /** Pending delay faults, cleared on stop so they do not keep the process alive. */
  const delays = new Set<ReturnType<typeof setTimeout>>();

  // ----- HTTP -----
  const readBody = (req: IncomingMessage): Promise<string> =>
    new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      req.on("error", reject);
    });

  const apiError = (status: number, message: string, extra: Record<string, unknown> = {}) => ({
    status,
    body: { error: { status, message, ...extra } },
  });

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const at = now();
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", origin);
    const path = url.pathname;
    const call: FakeCall = { method, path, query: url.search, status: 0, at };
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      call.status = status;
      calls.push(call);
      const h: Record<string, string> = { "cache-control": "private, max-age=0", ...headers };
      if (body === undefined) {
        res.writeHead(status, h);
        res.end();
      } else if (Buffer.isBuffer(body)) {
        res.writeHead(status, h);
        res.end(body);
      } else {
        res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...h });
        res.end(JSON.stringify(body));
      }
    };

    const fault = takeFault(method, path);
    if (fault) {
      if ("reset" in fault) {
        calls.push(call);
        req.socket.destroy();
        return;
      }
      if ("delayMs" in fault) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            delays.delete(timer);
            resolve();
          }, fault.delayMs);
          delays.add(timer);
        });
        if (req.socket.destroyed) {
          calls.push(call);
          return;
        }
      } else if (fault.status === 429) {
        const e = apiError(429, "API rate limit exceeded", fault.reason ? { reason: fault.reason } : {});
        return send(429, e.body, { "retry-after": String(fault.retryAfterSeconds) });
      } else if (fault.status === 401) {
        const e = apiError(401, "The access token expired");
        return send(401, e.body, {
          "www-authenticate":
            'Bearer realm="spotify", error="invalid_token", error_description="The access token expired"',
        });
      } else {
        const messages = { 500: "Server error.", 502: "Bad gateway.", 503: "Service unavailable" } as const;
        const e = apiError(fault.status, messages[fault.status]);
        return send(fault.status, e.body);
      }
    }

    try {
      if (path.startsWith("/img/") && (method === "GET" || method === "HEAD")) {
        return send(200, PNG_1X1, { "content-type": "image/png" });
      }
      if (path === "/accounts/authorize" && method === "GET") return authorize(url, send);
      if (path === "/accounts/api/token") {
        if (method !== "POST")
          return send(405, { error: "invalid_request", error_description: "POST required" });
        return token(req, await readBody(req), send);
      }
      if (path.startsWith("/v1/")) return api(req, url, send);
      return send(404, apiError(404, "Service not found").body);
    } catch (err) {
      if (err instanceof HttpError) return send(err.status, apiError(err.status, err.message).body);
      return send(500, apiError(500, (err as Error).message).body);
    }
  };

  type Send = (status: number, body?: unknown, headers?: Record<string, string>) => void;

  function authorize(url: URL, send: Send) {
    const q = url.searchParams;
    const redirectUri = q.get("redirect_uri");
    if (q.get("client_id") !== clientId)
      return send(400, Buffer.from("INVALID_CLIENT: Invalid client"), { "content-type": "text/plain" });
    if (!redirectUri)
      return send(400, Buffer.from("INVALID_CLIENT: Invalid redirect URI"), { "content-type": "text/plain" });
    let target: URL;
    try {
      target = new URL(redirectUri);
    } catch {
      return send(400, Buffer.from("INVALID_CLIENT: Invalid redirect URI"), { "content-type": "text/plain" });
    }
    const state = q.get("state");
    if (q.get("response_type") !== "code") {
      target.searchParams.set("error", "unsupported_response_type");
    } else if (denyNext) {
      denyNext = false;
      target.searchParams.set("error", "access_denied");
    } else {
      const code = randomToken("AQ");
      const challenge = q.get("code_challenge");
      codes.set(code, {
        redirectUri,
        scope: (q.get("scope") ?? "")
          .split(/[\s+]+/)
          .filter(Boolean)
          .join(" "),
        expiresAt: now() + 10 * 60_000,
        challenge,
      });
      target.searchParams.set("code", code);
    }
    if (state !== null) target.searchParams.set("state", state);
    send(302, undefined, { location: target.toString() });
  }

  function token(req: IncomingMessage, raw: string, send: Send) {
    const form = new URLSearchParams(raw);
    const oauthError = (error: string, description: string) =>
      send(400, { error, error_description: description });
    let id = form.get("client_id");
    let secret = form.get("client_secret");
    const header = req.headers.authorization;
    if (header?.startsWith("Basic ")) {
      const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
      const i = decoded.indexOf(":");
      id = i < 0 ? decoded : decoded.slice(0, i);
      secret = i < 0 ? "" : decoded.slice(i + 1);
    }
    if (id !== clientId) return oauthError("invalid_client", "Invalid client");
    if (secret !== null && secret !== clientSecret)
      return oauthError("invalid_client", "Invalid client secret");

    const grant = form.get("grant_type");
    if (grant === "authorization_code") {
      const code = form.get("code") ?? "";
      const g = codes.get(code);
      codes.delete(code);
      if (!g || g.expiresAt <= now()) return oauthError("invalid_grant", "Invalid authorization code");
      if (form.get("redirect_uri") !== g.redirectUri)
        return oauthError("invalid_grant", "Invalid redirect URI");
      if (g.challenge !== null) {
        const verifier = form.get("code_verifier") ?? "";
        const hashed = createHash("sha256").update(verifier).digest("base64url");
        if (hashed !== g.challenge) return oauthError("invalid_grant", "code_verifier was incorrect");
      } else if (secret === null) {
        return oauthError("invalid_client", "Invalid client secret");
      }
      return send(200, {
        access_token: newAccessToken(g.scope),
        token_type: "Bearer",
        expires_in: expiresIn,
        refresh_token: newRefreshToken(g.scope, g.challenge !== null),
        scope: g.scope,
      });
    }
    if (grant === "refresh_token") {
      const rt = form.get("refresh_token");
      if (!rt) return oauthError("invalid_request", "refresh_token must be supplied");
      const r = refreshTokens.get(rt);
      if (!r) return oauthError("invalid_grant", "Invalid refresh token");
      if (r.revoked) return oauthError("invalid_grant", "Refresh token revoked");
      if (secret === null && !r.pkce) return oauthError("invalid_client", "Invalid client secret");
      return send(200, {
        access_token: newAccessToken(r.scope),
        token_type: "Bearer",
        expires_in: expiresIn,
        ...(opts.rotateRefreshTokens ? { refresh_token: newRefreshToken(r.scope, r.pkce) } : {}),
        scope: r.scope,
      });
    }
    return oauthError("unsupported_grant_type", "grant_type parameter is missing");
  }

  const ID_RE = /^[0-9A-Za-z]{22}$/;

  function api(req: IncomingMessage, url: URL, send: Send) {
    const path = url.pathname.replace(/\/+$/, "");
    const q = url.searchParams;

    // Authentication.
    const header = req.headers.authorization;
    const unauthorized = (message: string) =>
      send(401, apiError(401, message).body, {
        "www-authenticate": `Bearer realm="spotify", error="invalid_token", error_description="${message}"`,
      });
    if (!header) return unauthorized("No token provided");
    const bearer = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
    const tok = accessTokens.get(bearer);
    if (!tok) return unauthorized("Invalid access token");
    if (tok.expiresAt <= now()) return unauthorized("The access token expired");
    const needScope = (...any: string[]) => {
      if (!any.some((s) => tok.scope.has(s))) throw new HttpError(403, "Insufficient client scope");
    };
    if (req.method !== "GET") throw new HttpError(405, "Method not allowed");

    const additional = new Set((q.get("additional_types") ?? "").split(",").map((s) => s.trim()));
    const intParam = (name: string, def: number, min: number, max: number, message: string): number => {
      const v = q.get(name);
      if (v === null) return def;
      const n = Number(v);
      if (!/^\d+$/.test(v) || n < min || n > max) throw new HttpError(400, message);
      return n;
    };

    if (path === "/v1/me") return send(200, user);

    if (path === "/v1/me/player") {
      needScope("user-read-playback-state");
      const body = playbackJson(true, additional);
      return body ? send(200, body) : send(204);
    }
    if (path === "/v1/me/player/currently-playing") {
      needScope("user-read-currently-playing", "user-read-playback-state");
      const body = playbackJson(false, additional);
      return body ? send(200, body) : send(204);
    }
    if (path === "/v1/me/player/recently-played") {
      needScope("user-read-recently-played");
      sync();
      const limit = intParam("limit", 20, 1, 50, "Invalid limit");
      const after = q.get("after");
      const before = q.get("before");
      if (after !== null && before !== null)
        throw new HttpError(400, "Only one of after and before may be given");
      for (const v of [after, before])
        if (v !== null && !/^\d+$/.test(v)) throw new HttpError(400, "Invalid cursor");
      const reachable = history.slice(0, 50).map((h) => ({ h, at: Date.parse(h.played_at) }));
      let page: typeof reachable;
      let more: boolean;
      if (after !== null) {
        const cand = reachable.filter((x) => x.at > Number(after));
        page = cand.slice(Math.max(0, cand.length - limit));
        more = cand.length > limit;
      } else {
        const cand = before !== null ? reachable.filter((x) => x.at < Number(before)) : reachable;
        page = cand.slice(0, limit);
        more = cand.length > limit;
      }
      const first = page[0];
      const last = page[page.length - 1];
      const cursors = first && last ? { after: String(first.at), before: String(last.at) } : null;
      const base = `${apiUrl}/me/player/recently-played`;
      const next =
        more && cursors
          ? after !== null
            ? `${base}?after=${cursors.after}&limit=${limit}`
            : `${base}?before=${cursors.before}&limit=${limit}`
          : null;
      return send(200, {
        items: page.map((x) => x.h),
        next,
        cursors,
        limit,
        href: `${base}${url.search}`,
      });
    }

    const top = /^\/v1\/me\/top\/(artists|tracks)$/.exec(path);
    if (top) {
      needScope("user-top-read");
      const range = q.get("time_range") ?? "medium_term";
      if (!["short_term", "medium_term", "long_term"].includes(range))
        throw new HttpError(400, "Invalid time range");
      const limit = intParam("limit", 20, 1, 50, "Invalid limit");
      const offset = intParam("offset", 0, 0, 10_000, "Invalid offset");
      const pool: Map<string, unknown> = top[1] === "artists" ? artists : tracks;
      const order = topOrder[top[1] as "artists" | "tracks"];
      const all = order ? order.flatMap((id) => pool.get(id) ?? []) : [...pool.values()];
      const base = `${apiUrl}/me/top/${top[1]}`;
      const link = (o: number) => `${base}?time_range=${range}&limit=${limit}&offset=${o}`;
      return send(200, {
        href: link(offset),
        limit,
        next: offset + limit < all.length ? link(offset + limit) : null,
        offset,
        previous: offset > 0 ? link(Math.max(0, offset - limit)) : null,
        total: all.length,
        items: all.slice(offset, offset + limit),
      });
    }

    const fullAlbum = (a: SpotifyAlbum) => {
      const items = [...tracks.values()]
        .filter((t) => t.album.id === a.id)
        .map(({ album: _a, popularity: _p, external_ids: _e, ...simple }) => simple);
      return {
        ...a,
        tracks: {
          href: `${apiUrl}/albums/${a.id}/tracks?offset=0&limit=50`,
          limit: 50,
          next: null,
          offset: 0,
          previous: null,
          total: items.length,
          items,
        },
      };
    };
    const lookup = (kind: "artists" | "albums" | "tracks", id: string) =>
      kind === "artists"
        ? artists.get(id)
        : kind === "albums"
          ? (() => {
              const a = albums.get(id);
              return a ? fullAlbum(a) : undefined;
            })()
          : tracks.get(id);
    const batch = (kind: "artists" | "albums" | "tracks", max: number) => {
      if (batchRefused) return send(403, apiError(403, "Forbidden").body);
      const ids = (q.get("ids") ?? "").split(",").filter(Boolean);
      if (ids.length === 0) throw new HttpError(400, "invalid id");
      if (ids.length > max) throw new HttpError(400, "Too many ids requested");
      const found = ids.map((id) => {
        const hit = lookup(kind, id);
        if (hit) return hit;
        if (!ID_RE.test(id)) throw new HttpError(400, "invalid id");
        return null;
      });
      return send(200, { [kind]: found });
    };
    if (path === "/v1/artists") return batch("artists", 50);
    if (path === "/v1/albums") return batch("albums", 20);
    if (path === "/v1/tracks") return batch("tracks", 50);
    const single = /^\/v1\/(artists|albums|tracks)\/([^/]+)$/.exec(path);
    if (single) {
      const id = decodeURIComponent(single[2] ?? "");
      const hit = lookup(single[1] as "artists" | "albums" | "tracks", id);
      if (hit) return send(200, hit);
      if (!ID_RE.test(id)) throw new HttpError(400, "invalid id");
      throw new HttpError(404, "Resource not found");
    }
    throw new HttpError(404, "Service not found");
  }

  const server = createServer((req, res) => {
    handler(req, res).catch(() => {
      if (!res.headersSent) {
        res.writeHead(500);
        res.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  apiUrl = `${origin}/v1`;
  adoptUrls(user, origin);

  return {
    origin,
    accountsUrl: `${origin}/accounts`,
    apiUrl,
    player,
    faults,
    catalog,
    calls,
    setTop: (type, ids) => {
      topOrder[type] = ids;
    },
    get history() {
      sync();
      return history.slice();
    },
    get plays() {
      sync();
      return plays.slice();
    },
    user,
    denyNextAuthorization() {
      denyNext = true;
    },
    issueTokens(scope = DEFAULT_SCOPE) {
      return {
        access_token: newAccessToken(scope),
        refresh_token: newRefreshToken(scope, false),
        expires_in: expiresIn,
      };
    },
    revokeRefreshTokens() {
      for (const r of refreshTokens.values()) r.revoked = true;
    },
    expireAccessTokens() {
      for (const t of accessTokens.values()) t.expiresAt = Number.NEGATIVE_INFINITY;
    },
    setBatchEndpointsRefused(refused) {
      batchRefused = refused;
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of delays) clearTimeout(timer);
        delays.clear();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** The SPOTIFY_* settings that point the app at this fake (the fake's default client). */
export function appEnvFor(
  fake: Pick<FakeSpotify, "accountsUrl" | "apiUrl">,
  redirectUri = "http://127.0.0.1:8000/spotify/callback",
): Record<string, string> {
  return {
    SPOTIFY_CLIENT_ID: "fake-client-id",
    SPOTIFY_CLIENT_SECRET: "fake-client-secret",
    SPOTIFY_REDIRECT_URI: redirectUri,
    SPOTIFY_ACCOUNTS_URL: fake.accountsUrl,
    SPOTIFY_API_URL: fake.apiUrl,
  };
}
