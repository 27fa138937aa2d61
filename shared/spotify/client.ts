import { randomBytes } from "node:crypto";
import type * as z from "zod";
import { cacheKeys } from "../cache/keys.ts";
import type { Cache } from "../cache/port.ts";
import { type Config, missingSpotifyConfig, spotifyConfigured } from "../config.ts";
import type { Deps } from "../deps.ts";
import type { SpotifyLink } from "../domain/entities.ts";
import { OWNER_ID } from "../domain/listener.ts";
import { logger } from "../logger.ts";
import { type Answer, ExchangeError, exchange, jsonOf } from "../net/exchange.ts";
import {
  accountsErrorSchema,
  albumSchema,
  apiErrorSchema,
  artistSchema,
  playerStateSchema,
  recentlyPlayedSchema,
  type SpotifyTokenResponse,
  severalAlbumsSchema,
  severalArtistsSchema,
  severalTracksSchema,
  toAlbumMetadata,
  toArtistMetadata,
  tokenResponseSchema,
  toObservation,
  toPlayableItem,
  topArtistsSchema,
  topTracksSchema,
  toRecentPlays,
  toTopArtists,
  toTopTracks,
  trackSchema,
  userSchema,
} from "./schemas.ts";
import {
  type AlbumMetadata,
  type ArtistMetadata,
  type Observation,
  type PlayableItem,
  type SpotifyApi,
  SpotifyError,
  type SpotifyFault,
} from "./types.ts";

/**
 * The Spotify Web API over HTTP, behind the SpotifyApi port. Everything that can go wrong
 * comes out as a SpotifyError with one of four faults; the caller (the poll loop, a job, a
 * route) decides what to do. This client never sleeps on a 429: a quota 429 can ask for
 * hours, and a Lambda billed by the millisecond must hand that wait to the scheduler.
 */

export const SPOTIFY_SCOPES = [
  "user-read-currently-playing",
  "user-read-playback-state",
  "user-read-recently-played",
  "user-top-read",
  "user-library-read",
].join(" ");

/** Stop using a token this long before Spotify says it expires (clock skew, slow requests). */
const EXPIRY_MARGIN_MS = 60_000;
const DEFAULT_RETRY_AFTER_SECONDS = 30;
/** Spotify's documented maxima for GET /artists?ids= and GET /albums?ids=. */
const ARTIST_BATCH = 50;
const ALBUM_BATCH = 20;
const TRACK_BATCH = 50;
/** Total sleep across retries of one request: a poll that waits longer has missed its slot. */
const BACKOFF_BUDGET_MS = 500;

export interface SpotifyClientOptions {
  fetch?: typeof fetch;
  /** Per attempt, body included. */
  timeoutMs?: number;
  /** Extra attempts after a 5xx, a timeout or a network error. */
  retries?: number;
}

export interface SpotifyClient extends SpotifyApi {
  /** The accounts-service URL that asks the person to grant our scopes. */
  authorizeUrl(state: string): string;
  /** Trades the code from /spotify/callback for tokens, saves the link and returns it. */
  /**
   * Trades an authorization code for the link. `keep` (default): store it as this client's
   * listener's and keep the access token; false when the callback learns only from the answer
   * whose account it is (a member signing in) and stores it under that listener itself.
   */
  exchangeCode(code: string, opts?: { keep?: boolean }): Promise<SpotifyLink>;
}

export type SpotifyDeps = Pick<Deps, "config" | "cache" | "store" | "clock" | "listener">;

interface CachedToken {
  token: string;
  /** Epoch ms at which Spotify stops accepting it. */
  expires_at: number;
}

/**
 * Per-process memory, one per cache instance (a Lambda container or the local runtime builds
 * its deps once, so this lives as long as the process; a test's fresh cache is a fresh
 * "process"). A warm Lambda polling every second reads its token from here, not Redis.
 */
interface ProcessMemory {
  token: CachedToken | undefined;
  /** The one token fetch in flight: concurrent callers share it. */
  pending: Promise<string> | undefined;
  /** Batch endpoints this app was refused (403/404): go straight to one id at a time. */
  singlesOnly: Set<"artists" | "albums" | "tracks">;
}

const memories = new WeakMap<Cache, Map<string, ProcessMemory>>();

function memoryFor(cache: Cache, config: Config, listener: string): ProcessMemory {
  let byApp = memories.get(cache);
  if (!byApp) {
    byApp = new Map();
    memories.set(cache, byApp);
  }
  // Per listener: each has its own access token.
  const key = `${config.SPOTIFY_ACCOUNTS_URL}|${config.SPOTIFY_API_URL}|${config.SPOTIFY_CLIENT_ID ?? ""}|${listener}`;
  let mem = byApp.get(key);
  if (!mem) {
    mem = { token: undefined, pending: undefined, singlesOnly: new Set() };
    byApp.set(key, mem);
  }
  return mem;
}

/** The SPOTIFY_* variables still to set before anything here can work. */

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

export function createSpotifyClient(deps: SpotifyDeps, opts: SpotifyClientOptions = {}): SpotifyClient {
  const { config, cache, store, clock } = deps;
  const ACCESS_TOKEN_KEY = cacheKeys.accessToken(deps.listener);
  const fetchImpl = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 5000;
  const retries = Math.max(0, opts.retries ?? 2);
  const mem = memoryFor(cache, config, deps.listener);
  const accountsUrl = config.SPOTIFY_ACCOUNTS_URL;
  const apiUrl = config.SPOTIFY_API_URL;
  const nowMs = () => clock().getTime();

  /** Builds the error, logging it once: where and what, never a token. */
  function fail(fault: SpotifyFault, where: { path: string; status?: number | null }): SpotifyError {
    logger.warn("spotify request failed", {
      fault: fault.type,
      status: where.status ?? null,
      path: where.path,
    });
    return new SpotifyError(fault);
  }

  function requireConfigured(path: string): void {
    if (!spotifyConfigured(config)) {
      throw fail(
        {
          type: "not_linked",
          message: `Spotify is not configured: set ${missingSpotifyConfig(config).join(", ")}`,
        },
        { path },
      );
    }
  }

  /**
   * One HTTP exchange with bounded retries for the transient failures (5xx, timeout,
   * network); a 429 throws at once and every other status is the caller's to read.
   */
  async function send(url: string, init: { method: string; headers: Record<string, string>; body?: string }) {
    try {
      return await exchange(url, init, {
        fetch: fetchImpl,
        timeoutMs,
        retries,
        backoffBudgetMs: BACKOFF_BUDGET_MS,
        nowMs,
        defaultRetryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS,
      });
    } catch (err) {
      if (!(err instanceof ExchangeError)) throw err;
      const f = err.failure;
      if (f.type === "rate_limited") {
        const body = apiErrorSchema.safeParse(jsonOf(f.answer.text));
        throw fail(
          {
            type: "rate_limited",
            retryAfterSeconds: f.retryAfterSeconds,
            reason: body.success ? (body.data.error.reason ?? null) : null,
          },
          { path: err.path, status: 429 },
        );
      }
      throw fail(
        { type: "unavailable", message: err.message, status: f.status },
        { path: err.path, status: f.status },
      );
    }
  }

  // ---------------------------------------------------------------- tokens

  type TokenResult =
    | { ok: true; token: SpotifyTokenResponse }
    | { ok: false; status: number; error: string | null; description: string | null };

  async function tokenRequest(params: Record<string, string>): Promise<TokenResult> {
    const basic = Buffer.from(`${config.SPOTIFY_CLIENT_ID}:${config.SPOTIFY_CLIENT_SECRET}`).toString(
      "base64",
    );
    const url = `${accountsUrl}/api/token`;
    const res = await send(url, {
      method: "POST",
      headers: {
        authorization: `Basic ${basic}`,
        "content-type": "application/x-www-form-urlencoded",
        accept: "application/json",
      },
      body: new URLSearchParams(params).toString(),
    });
    if (res.status === 200) {
      const parsed = tokenResponseSchema.safeParse(jsonOf(res.text));
      if (parsed.success) return { ok: true, token: parsed.data };
      throw fail(
        { type: "unavailable", message: "Spotify's token answer had no usable access_token", status: 200 },
        { path: new URL(url).pathname, status: 200 },
      );
    }
    const err = accountsErrorSchema.safeParse(jsonOf(res.text));
    return {
      ok: false,
      status: res.status,
      error: err.success ? err.data.error : null,
      description: err.success ? (err.data.error_description ?? null) : null,
    };
  }

  const usable = (t: CachedToken | null | undefined): t is CachedToken =>
    t !== null && t !== undefined && t.expires_at - EXPIRY_MARGIN_MS > nowMs();

  // The cache is an optimisation: if Redis is down, the token still works from memory.
  async function readCachedToken(): Promise<CachedToken | null> {
    try {
      const v = await cache.get<CachedToken>(ACCESS_TOKEN_KEY);
      return v && typeof v.token === "string" && typeof v.expires_at === "number" ? v : null;
    } catch (err) {
      logger.warn("spotify: cache read failed", { error: (err as Error).message });
      return null;
    }
  }

  async function forgetToken(token: string): Promise<void> {
    if (mem.token?.token === token) mem.token = undefined;
    const cached = await readCachedToken();
    if (cached?.token === token) await cache.del(ACCESS_TOKEN_KEY).catch(() => undefined);
  }

  async function remember(t: SpotifyTokenResponse): Promise<string> {
    const entry: CachedToken = { token: t.access_token, expires_at: nowMs() + t.expires_in * 1000 };
    mem.token = entry;
    const ttlMs = entry.expires_at - EXPIRY_MARGIN_MS - nowMs();
    if (ttlMs > 0) {
      try {
        await cache.set(ACCESS_TOKEN_KEY, entry, { ttlMs });
      } catch (err) {
        logger.warn("spotify: cache write failed", { error: (err as Error).message });
      }
    }
    return entry.token;
  }

  async function refreshAccessToken(): Promise<string> {
    const path = new URL(`${accountsUrl}/api/token`).pathname;
    requireConfigured(path);
    const link = await store.getSpotifyLink();
    if (!link) {
      throw fail(
        { type: "not_linked", message: "Spotify is not linked yet: open /spotify/authorize" },
        { path },
      );
    }
    if (link.needs_reauth) {
      // Known dead: do not spend a request (or a rate-limit slot) proving it again.
      throw fail(
        {
          type: "revoked",
          message: `Spotify access was revoked (${link.reauth_reason ?? "invalid_grant"}); link again at /spotify/authorize`,
        },
        { path },
      );
    }
    const r = await tokenRequest({ grant_type: "refresh_token", refresh_token: link.refresh_token });
    if (!r.ok) {
      if (r.error === "invalid_grant") {
        const reason = r.description ?? "invalid_grant";
        await store.markSpotifyNeedsReauth(reason);
        mem.token = undefined;
        await cache.del(ACCESS_TOKEN_KEY).catch(() => undefined);
        throw fail(
          {
            type: "revoked",
            message: `Spotify refused the refresh token (${reason}); link again at /spotify/authorize`,
          },
          { path, status: r.status },
        );
      }
      throw fail(
        {
          type: "unavailable",
          message: `Spotify refused to refresh the access token: ${r.error ?? `HTTP ${r.status}`}${r.description ? ` (${r.description})` : ""}`,
          status: r.status,
        },
        { path, status: r.status },
      );
    }
    // Spotify may rotate the refresh token; the old one can stop working at any time after.
    if (r.token.refresh_token && r.token.refresh_token !== link.refresh_token) {
      await store.rotateSpotifyRefreshToken(r.token.refresh_token, r.token.scope ?? link.scope);
    }
    return remember(r.token);
  }

  /** Runs `fn` unless a token fetch is already in flight in this process, then shares that one. */
  function coalesced(fn: () => Promise<string>): Promise<string> {
    mem.pending ??= fn().finally(() => {
      mem.pending = undefined;
    });
    return mem.pending;
  }

  async function cachedOrRefreshed(reject?: string): Promise<string> {
    const cached = await readCachedToken();
    if (usable(cached) && cached.token !== reject) {
      mem.token = cached;
      return cached.token;
    }
    return refreshAccessToken();
  }

  async function accessToken(): Promise<string> {
    if (usable(mem.token)) return mem.token.token;
    return coalesced(() => cachedOrRefreshed());
  }

  /** After a 401: drop the rejected token and get a different one (one refresh at most per caller). */
  async function tokenAfter401(rejected: string): Promise<string> {
    await forgetToken(rejected);
    const token = await coalesced(() => cachedOrRefreshed(rejected));
    // A fetch already in flight may have been about to hand out the rejected token.
    return token === rejected ? coalesced(() => cachedOrRefreshed(rejected)) : token;
  }

  // ---------------------------------------------------------------- API calls

  const apiGetWith = (url: string, token: string) =>
    send(url, { method: "GET", headers: { authorization: `Bearer ${token}`, accept: "application/json" } });

  /** GET on the Web API with the access token; one refresh and one retry on a 401. */
  async function apiGet(pathAndQuery: string): Promise<Answer> {
    const url = `${apiUrl}${pathAndQuery}`;
    const token = await accessToken();
    const first = await apiGetWith(url, token);
    if (first.status !== 401) return first;
    const second = await apiGetWith(url, await tokenAfter401(token));
    if (second.status !== 401) return second;
    throw fail(
      {
        type: "unavailable",
        message: "Spotify rejected a freshly refreshed access token (401)",
        status: 401,
      },
      { path: new URL(url).pathname, status: 401 },
    );
  }

  function unexpected(res: Answer, pathAndQuery: string): SpotifyError {
    const path = new URL(`${apiUrl}${pathAndQuery}`).pathname;
    const body = apiErrorSchema.safeParse(jsonOf(res.text));
    const detail = body.success && body.data.error.message ? `: ${body.data.error.message}` : "";
    return fail(
      { type: "unavailable", message: `${path} answered HTTP ${res.status}${detail}`, status: res.status },
      { path, status: res.status },
    );
  }

  function parse<T extends z.ZodType>(schema: T, res: Answer, pathAndQuery: string): z.infer<T> {
    const parsed = schema.safeParse(jsonOf(res.text));
    if (parsed.success) return parsed.data;
    const path = new URL(`${apiUrl}${pathAndQuery}`).pathname;
    const issues = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`)
      .join("; ");
    throw fail(
      { type: "unavailable", message: `unexpected payload from ${path}: ${issues}`, status: res.status },
      { path, status: res.status },
    );
  }

  async function getJson<T extends z.ZodType>(pathAndQuery: string, schema: T): Promise<z.infer<T>> {
    const res = await apiGet(pathAndQuery);
    if (res.status !== 200) throw unexpected(res, pathAndQuery);
    return parse(schema, res, pathAndQuery);
  }

  /**
   * GET /{kind}?ids= in batches; when the batch endpoint is refused (development-mode apps
   * lost them in 2026: 403 or 404) fall back to GET /{kind}/{id} and remember it.
   */
  async function several<T>(
    kind: "artists" | "albums" | "tracks",
    ids: readonly string[],
    batchSize: number,
    readBatch: (res: Answer, pathAndQuery: string) => (T | null)[],
    readOne: (res: Answer, pathAndQuery: string) => T,
  ): Promise<T[]> {
    const unique = [...new Set(ids.filter((id) => id.trim() !== ""))];
    const out: T[] = [];
    const singles = async (list: readonly string[]) => {
      for (const id of list) {
        const pq = `/${kind}/${encodeURIComponent(id)}`;
        const res = await apiGet(pq);
        if (res.status === 404 || res.status === 400) continue; // unknown or malformed id
        if (res.status !== 200) throw unexpected(res, pq);
        out.push(readOne(res, pq));
      }
    };
    for (const batch of chunks(unique, batchSize)) {
      if (mem.singlesOnly.has(kind)) {
        await singles(batch);
        continue;
      }
      const pq = `/${kind}?ids=${batch.map(encodeURIComponent).join(",")}`;
      const res = await apiGet(pq);
      if (res.status === 403 || res.status === 404) {
        logger.info("spotify: batch endpoint refused, using single lookups", { kind, status: res.status });
        mem.singlesOnly.add(kind);
        await singles(batch);
        continue;
      }
      if (res.status !== 200) throw unexpected(res, pq);
      for (const entry of readBatch(res, pq)) if (entry !== null) out.push(entry);
    }
    return out;
  }

  return {
    authorizeUrl(state) {
      requireConfigured("/authorize");
      const params = new URLSearchParams({
        client_id: config.SPOTIFY_CLIENT_ID ?? "",
        response_type: "code",
        redirect_uri: config.SPOTIFY_REDIRECT_URI ?? "",
        scope: SPOTIFY_SCOPES,
        state,
      });
      return `${accountsUrl}/authorize?${params}`;
    },

    async exchangeCode(code, { keep = true } = {}) {
      const path = new URL(`${accountsUrl}/api/token`).pathname;
      requireConfigured(path);
      const r = await tokenRequest({
        grant_type: "authorization_code",
        code,
        redirect_uri: config.SPOTIFY_REDIRECT_URI ?? "",
      });
      if (!r.ok) {
        const why = `${r.error ?? `HTTP ${r.status}`}${r.description ? `: ${r.description}` : ""}`;
        // A bad, expired or reused code: like a revoked grant, only a new authorization helps.
        if (r.error === "invalid_grant") {
          throw fail(
            { type: "revoked", message: `Spotify refused the authorization code (${why})` },
            { path, status: r.status },
          );
        }
        throw fail(
          { type: "unavailable", message: `Spotify refused the code exchange (${why})`, status: r.status },
          { path, status: r.status },
        );
      }
      if (!r.token.refresh_token) {
        throw fail(
          { type: "unavailable", message: "Spotify's token answer had no refresh_token", status: 200 },
          { path, status: 200 },
        );
      }
      const token = keep ? await remember(r.token) : r.token.access_token;
      // Who linked: nice to show, not worth losing the grant over (the code is single-use).
      let user: { id: string | null; display_name: string | null } = { id: null, display_name: null };
      try {
        const res = await apiGetWith(`${apiUrl}/me`, token);
        if (res.status === 200) {
          const me = parse(userSchema, res, "/me");
          user = { id: me.id, display_name: me.display_name ?? null };
        } else {
          logger.warn("spotify: /me failed after linking", { status: res.status });
        }
      } catch (err) {
        if (!(err instanceof SpotifyError)) throw err;
      }
      const link: SpotifyLink = {
        refresh_token: r.token.refresh_token,
        scope: r.token.scope ?? SPOTIFY_SCOPES,
        linked_at: clock().toISOString(),
        user_id: user.id,
        display_name: user.display_name,
        needs_reauth: false,
        reauth_reason: null,
      };
      if (keep) await store.saveSpotifyLink(link);
      return link;
    },

    async currentPlayback(): Promise<Observation> {
      const pq = "/me/player?additional_types=track,episode";
      const res = await apiGet(pq);
      // 204 (and, now and then, a 200 with an empty body) means no active device.
      if (res.status === 204 || (res.status === 200 && res.text.trim() === "")) return { type: "nothing" };
      if (res.status !== 200) throw unexpected(res, pq);
      return toObservation(parse(playerStateSchema, res, pq));
    },

    async recentlyPlayed({ afterMs, limit }) {
      const params = new URLSearchParams({ limit: String(Math.min(50, Math.max(1, limit ?? 50))) });
      if (afterMs !== undefined) params.set("after", String(Math.floor(afterMs)));
      const pq = `/me/player/recently-played?${params}`;
      return toRecentPlays(await getJson(pq, recentlyPlayedSchema));
    },

    artists(ids): Promise<ArtistMetadata[]> {
      return several(
        "artists",
        ids,
        ARTIST_BATCH,
        (res, pq) =>
          parse(severalArtistsSchema, res, pq).artists.map((a) => (a ? toArtistMetadata(a) : null)),
        (res, pq) => toArtistMetadata(parse(artistSchema, res, pq)),
      );
    },

    albums(ids): Promise<AlbumMetadata[]> {
      return several(
        "albums",
        ids,
        ALBUM_BATCH,
        (res, pq) => parse(severalAlbumsSchema, res, pq).albums.map((a) => (a ? toAlbumMetadata(a) : null)),
        (res, pq) => toAlbumMetadata(parse(albumSchema, res, pq)),
      );
    },

    tracks(ids): Promise<PlayableItem[]> {
      const item = (t: z.infer<typeof trackSchema>) => {
        const p = toPlayableItem(t);
        return p && p.kind === "track" ? p : null;
      };
      return several(
        "tracks",
        ids,
        TRACK_BATCH,
        (res, pq) => parse(severalTracksSchema, res, pq).tracks.map((t) => (t ? item(t) : null)),
        (res, pq) => {
          const t = item(parse(trackSchema, res, pq));
          if (!t) throw unexpected(res, pq);
          return t;
        },
      );
    },

    async me() {
      const user = await getJson("/me", userSchema);
      return { id: user.id, display_name: user.display_name ?? null };
    },

    async topItems(type, timeRange, limit) {
      const params = new URLSearchParams({
        time_range: timeRange,
        limit: String(Math.min(50, Math.max(1, Math.floor(limit)))),
      });
      const pq = `/me/top/${type}?${params}`;
      return type === "artists"
        ? toTopArtists(await getJson(pq, topArtistsSchema))
        : toTopTracks(await getJson(pq, topTracksSchema));
    },
  };
}

// ---------------------------------------------------------------- OAuth state

export const OAUTH_STATE_TTL_SECONDS = 600;
const stateKey = cacheKeys.oauthState;
const usedKey = cacheKeys.oauthUsed;

/**
 * What a state was issued for: linking a known listener's Spotify (`/spotify/authorize`), or
 * signing in with Spotify (`/login`), with an invite's hash when joining.
 */
export type OAuthPurpose = { listener: string } | { login: true; invite_hash?: string | undefined };

/** A fresh, unguessable (256-bit) state for one authorization round trip. */
export async function createOAuthState(
  cache: Cache,
  now: Date,
  purpose: OAuthPurpose = { listener: OWNER_ID },
): Promise<{ state: string; expires_in: number }> {
  const state = randomBytes(32).toString("base64url");
  await cache.set(
    stateKey(state),
    { issued_at: now.toISOString(), ...purpose },
    { ttlMs: OAUTH_STATE_TTL_SECONDS * 1000 },
  );
  return { state, expires_in: OAUTH_STATE_TTL_SECONDS };
}

export type StateCheck = { ok: true; purpose: OAuthPurpose } | "unknown" | "used";

/**
 * Single use: the `used` marker is taken with SET NX, so of two concurrent callbacks with
 * the same state exactly one gets "ok". The marker outlives the state so a replay is told
 * "already used" rather than "unknown".
 */
export async function consumeOAuthState(cache: Cache, state: string): Promise<StateCheck> {
  if (!/^[A-Za-z0-9_-]{16,128}$/.test(state)) return "unknown";
  const issued = await cache.get<{ listener?: string; login?: true; invite_hash?: string }>(stateKey(state));
  if (issued === null) return (await cache.get(usedKey(state))) !== null ? "used" : "unknown";
  const first = await cache.setIfAbsent(usedKey(state), true, { ttlMs: OAUTH_STATE_TTL_SECONDS * 1000 });
  if (!first) return "used";
  await cache.del(stateKey(state));
  // A state issued before listeners existed names nobody: it was the owner's.
  const purpose: OAuthPurpose = issued.login
    ? { login: true, invite_hash: issued.invite_hash }
    : { listener: issued.listener ?? OWNER_ID };
  return { ok: true, purpose };
}
