import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, test } from "node:test";
import {
  album,
  artist,
  episode,
  type FakeSpotify,
  localFile,
  type SpotifyAlbum,
  type SpotifyArtist,
  type SpotifyContext,
  type SpotifyDevice,
  type SpotifyEpisode,
  type SpotifyItem,
  type SpotifyPlayHistory,
  type SpotifyTrack,
  type SpotifyUser,
  startFakeSpotify,
  track,
} from "#test/support/fake-spotify.ts";

const T0 = Date.parse("2026-11-21T12:00:00.000Z");
const REDIRECT = "http://127.0.0.1:9/callback";
const CLIENT = { id: "cid-123", secret: "secret-456" };

interface Res<T> {
  status: number;
  text: string;
  headers: Headers;
  /** The parsed body, typed as the caller expects it (null when empty). */
  json: T;
}
interface ApiError {
  error: { status: number; message: string; reason?: string };
}
interface OAuthError {
  error: string;
  error_description: string;
}
interface TokenResponse {
  access_token: string;
  token_type: string;
  scope: string;
  expires_in: number;
  refresh_token?: string;
}
interface Playback {
  device?: SpotifyDevice;
  repeat_state?: string;
  shuffle_state?: boolean;
  context: SpotifyContext | null;
  timestamp: number;
  progress_ms: number;
  is_playing: boolean;
  item: SpotifyItem | null;
  currently_playing_type: string;
  actions: { disallows: Record<string, boolean> };
}
interface Recent {
  items: SpotifyPlayHistory[];
  next: string | null;
  cursors: { after: string; before: string } | null;
  limit: number;
  href: string;
}
interface Paging<T> {
  total: number;
  items: T[];
  next: string | null;
}
type FullAlbum = SpotifyAlbum & { tracks: Paging<{ id: string }> };

function asTrack(item: SpotifyItem | null | undefined): SpotifyTrack {
  assert.ok(item && item.type === "track", "expected a track");
  return item;
}
function asEpisode(item: SpotifyItem | null | undefined): SpotifyEpisode {
  assert.ok(item && item.type === "episode", "expected an episode");
  return item;
}

async function call<T = unknown>(url: string, init: RequestInit = {}): Promise<Res<T>> {
  const r = await fetch(url, { redirect: "manual", ...init });
  const text = await r.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: r.status, text, headers: r.headers, json: json as T };
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;
const form = (fields: Record<string, string>) => ({
  method: "POST",
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(fields).toString(),
});

describe("fake Spotify", () => {
  let t = T0;
  let fake: FakeSpotify;
  let token = "";
  const advance = (ms: number) => {
    t += ms;
  };
  const api = <T = ApiError>(path: string, init: RequestInit = {}) =>
    call<T>(`${fake.apiUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...init.headers },
    });

  beforeEach(async () => {
    t = T0;
    fake = await startFakeSpotify({ now: () => t, clientId: CLIENT.id, clientSecret: CLIENT.secret });
    token = fake.issueTokens().access_token;
  });
  afterEach(async () => {
    await fake.stop();
  });
  const playback = async (query = "") => (await api<Playback>(`/me/player${query}`)).json;
  const recent = async (query = "") => (await api<Recent>(`/me/player/recently-played${query}`)).json;

  describe("accounts", () => {
    test("authorization-code flow, refresh, revoke and denial", async () => {
      const authorize = (state: string) =>
        call(
          `${fake.accountsUrl}/authorize?${new URLSearchParams({
            client_id: CLIENT.id,
            response_type: "code",
            redirect_uri: REDIRECT,
            scope: "user-read-playback-state user-read-recently-played",
            state,
          })}`,
        );
      const r = await authorize("s-1");
      assert.equal(r.status, 302);
      const loc = new URL(r.headers.get("location") ?? "");
      assert.equal(`${loc.origin}${loc.pathname}`, REDIRECT);
      assert.equal(loc.searchParams.get("state"), "s-1");
      const code = loc.searchParams.get("code") ?? "";
      assert.ok(code.length > 20);

      // Wrong secret, then the right one (Basic auth).
      const grant = { grant_type: "authorization_code", code, redirect_uri: REDIRECT };
      const bad = await call<OAuthError>(`${fake.accountsUrl}/api/token`, {
        ...form(grant),
        headers: { ...form(grant).headers, authorization: basic(CLIENT.id, "nope") },
      });
      assert.equal(bad.status, 400);
      assert.equal(bad.json.error, "invalid_client");
      const ok = await call<TokenResponse>(`${fake.accountsUrl}/api/token`, {
        ...form(grant),
        headers: { ...form(grant).headers, authorization: basic(CLIENT.id, CLIENT.secret) },
      });
      assert.equal(ok.status, 200);
      assert.equal(ok.json.token_type, "Bearer");
      assert.equal(ok.json.expires_in, 3600);
      assert.equal(ok.json.scope, "user-read-playback-state user-read-recently-played");
      assert.equal(typeof ok.json.refresh_token, "string");
      token = ok.json.access_token;
      assert.equal((await api("/me")).status, 200);

      // The code is single-use.
      const reuse = await call<OAuthError>(`${fake.accountsUrl}/api/token`, {
        ...form({ ...grant, client_id: CLIENT.id, client_secret: CLIENT.secret }),
      });
      assert.equal(reuse.status, 400);
      assert.deepEqual(reuse.json, {
        error: "invalid_grant",
        error_description: "Invalid authorization code",
      });

      // redirect_uri must match the one given to /authorize (body client auth this time).
      const code2 =
        new URL((await authorize("s-2")).headers.get("location") ?? "").searchParams.get("code") ?? "";
      const mismatch = await call<OAuthError>(`${fake.accountsUrl}/api/token`, {
        ...form({
          grant_type: "authorization_code",
          code: code2,
          redirect_uri: "http://127.0.0.1:9/other",
          client_id: CLIENT.id,
          client_secret: CLIENT.secret,
        }),
      });
      assert.equal(mismatch.status, 400);
      assert.equal(mismatch.json.error, "invalid_grant");

      // Refresh: a new access token, no refresh_token, and the old refresh token stays valid.
      const refresh = () =>
        call<TokenResponse & OAuthError>(`${fake.accountsUrl}/api/token`, {
          ...form({ grant_type: "refresh_token", refresh_token: ok.json.refresh_token ?? "" }),
          headers: { ...form({}).headers, authorization: basic(CLIENT.id, CLIENT.secret) },
        });
      const r1 = await refresh();
      assert.equal(r1.status, 200);
      assert.notEqual(r1.json.access_token, ok.json.access_token);
      assert.equal("refresh_token" in r1.json, false);
      assert.equal(r1.json.scope, "user-read-playback-state user-read-recently-played");
      assert.equal((await refresh()).status, 200);

      // Access tokens expire by the fake clock.
      token = r1.json.access_token;
      advance(3599_000);
      assert.equal((await api("/me")).status, 200);
      advance(1_000);
      const expired = await api("/me");
      assert.equal(expired.status, 401);
      assert.deepEqual(expired.json, { error: { status: 401, message: "The access token expired" } });

      fake.revokeRefreshTokens();
      const revoked = await refresh();
      assert.equal(revoked.status, 400);
      assert.deepEqual(revoked.json, { error: "invalid_grant", error_description: "Refresh token revoked" });

      fake.denyNextAuthorization();
      const denied = new URL((await authorize("s-3")).headers.get("location") ?? "");
      assert.equal(denied.searchParams.get("error"), "access_denied");
      assert.equal(denied.searchParams.get("state"), "s-3");
      assert.equal(denied.searchParams.get("code"), null);
      // Only the next one.
      assert.ok(new URL((await authorize("s-4")).headers.get("location") ?? "").searchParams.get("code"));
    });

    test("PKCE exchange without a secret checks the verifier; rotation is optional", async () => {
      const verifier = "v".repeat(64);
      const challenge = createHash("sha256").update(verifier).digest("base64url");
      const codeFor = async () => {
        const r = await call(
          `${fake.accountsUrl}/authorize?${new URLSearchParams({
            client_id: CLIENT.id,
            response_type: "code",
            redirect_uri: REDIRECT,
            code_challenge_method: "S256",
            code_challenge: challenge,
          })}`,
        );
        return new URL(r.headers.get("location") ?? "").searchParams.get("code") ?? "";
      };
      const exchange = async (code_verifier: string) =>
        call<TokenResponse & OAuthError>(`${fake.accountsUrl}/api/token`, {
          ...form({
            grant_type: "authorization_code",
            code: await codeFor(),
            redirect_uri: REDIRECT,
            client_id: CLIENT.id,
            code_verifier,
          }),
        });
      assert.equal((await exchange("wrong")).json.error, "invalid_grant");
      const ok = await exchange(verifier);
      assert.equal(ok.status, 200);
      await fake.stop();

      fake = await startFakeSpotify({ now: () => t, rotateRefreshTokens: true });
      const { refresh_token } = fake.issueTokens();
      const r = await call<TokenResponse>(`${fake.accountsUrl}/api/token`, {
        ...form({
          grant_type: "refresh_token",
          refresh_token,
          client_id: "fake-client-id",
          client_secret: "fake-client-secret",
        }),
      });
      assert.equal(r.status, 200);
      assert.equal(typeof r.json.refresh_token, "string");
      assert.notEqual(r.json.refresh_token, refresh_token);
    });
  });

  describe("API", () => {
    test("401 for missing, unknown and expired tokens; 403 without the scope", async () => {
      const missing = await call<ApiError>(`${fake.apiUrl}/me/player`);
      assert.equal(missing.status, 401);
      assert.deepEqual(missing.json, { error: { status: 401, message: "No token provided" } });
      const unknown = await call<ApiError>(`${fake.apiUrl}/me/player`, {
        headers: { authorization: "Bearer nope" },
      });
      assert.equal(unknown.status, 401);
      assert.equal(unknown.json.error.message, "Invalid access token");
      assert.equal((await api("/me/player")).status, 204);
      fake.expireAccessTokens();
      const expired = await api("/me/player");
      assert.equal(expired.status, 401);
      assert.equal(expired.json.error.message, "The access token expired");
      assert.match(expired.headers.get("www-authenticate") ?? "", /invalid_token/);
      token = fake.issueTokens("user-read-recently-played").access_token;
      assert.equal((await api("/me/player/recently-played")).status, 200);
      const noScope = await api("/me/player");
      assert.equal(noScope.status, 403);
    });

    test("204 with an empty body when nothing is active", async () => {
      const p = await api("/me/player");
      assert.equal(p.status, 204);
      assert.equal(p.text, "");
      const c = await api("/me/player/currently-playing");
      assert.equal(c.status, 204);
      fake.player.play(track());
      assert.equal((await api("/me/player")).status, 200);
      fake.player.stop();
      assert.equal((await api("/me/player")).status, 204);
    });

    test("progress follows the clock; pause freezes it; seek and resume move timestamp", async () => {
      const a = artist({ name: "Robyn", genres: ["swedish pop"] });
      const tr = track({ name: "Dancing On My Own", duration_ms: 280_000, artists: [a] });
      fake.player.play(tr, { context: { type: "playlist", uri: "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M" } });
      advance(10_000);
      const s1 = await playback();
      assert.equal(s1.progress_ms, 10_000);
      assert.equal(s1.is_playing, true);
      assert.equal(s1.timestamp, T0);
      assert.equal(s1.currently_playing_type, "track");
      assert.deepEqual(s1.item, tr);
      assert.equal(asTrack(s1.item).artists[0]?.name, "Robyn");
      assert.equal(asTrack(s1.item).album.images[0]?.url.startsWith(fake.origin), true);
      assert.equal(s1.context?.uri, "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M");
      assert.equal(s1.context?.type, "playlist");
      assert.equal(s1.repeat_state, "off");
      assert.equal(s1.shuffle_state, false);
      assert.deepEqual(Object.keys(s1.device ?? {}).sort(), [
        "id",
        "is_active",
        "is_private_session",
        "is_restricted",
        "name",
        "supports_volume",
        "type",
        "volume_percent",
      ]);
      assert.deepEqual(s1.actions, { disallows: { resuming: true } });

      fake.player.pause();
      advance(20_000);
      const s2 = await playback();
      assert.equal(s2.progress_ms, 10_000);
      assert.equal(s2.is_playing, false);
      assert.equal(s2.timestamp, T0 + 10_000);

      fake.player.resume();
      advance(5_000);
      const s3 = (await api<Playback>("/me/player/currently-playing")).json;
      assert.equal(s3.progress_ms, 15_000);
      assert.equal(s3.timestamp, T0 + 30_000);
      assert.equal("device" in s3, false);

      fake.player.seek(200_000);
      advance(1_000);
      const s4 = await playback();
      assert.equal(s4.progress_ms, 201_000);
      assert.equal(s4.timestamp, T0 + 35_000);
    });

    test("repeat track wraps to 0 with a new timestamp and lists each finished play", async () => {
      const tr = track({ duration_ms: 100_000 });
      fake.player.setRepeat("track");
      fake.player.play(tr);
      advance(130_000);
      const s = await playback();
      assert.equal(s.item?.id, tr.id);
      assert.equal(s.progress_ms, 30_000);
      assert.equal(s.timestamp, T0 + 100_000);
      assert.equal(s.repeat_state, "track");
      advance(100_000);
      const h = fake.history;
      assert.deepEqual(
        h.map((x) => x.played_at),
        [new Date(T0 + 200_000).toISOString(), new Date(T0 + 100_000).toISOString()],
      );
    });

    test("the queue advances automatically at the exact end; the end parks the last item paused at 0", async () => {
      const a = track({ name: "A", duration_ms: 100_000 });
      const b = track({ name: "B", duration_ms: 120_000 });
      fake.player.play(a);
      fake.player.queue(b);
      advance(150_000);
      const s = await playback();
      assert.equal(s.item?.name, "B");
      assert.equal(s.progress_ms, 50_000);
      assert.equal(s.timestamp, T0 + 100_000);
      advance(100_000);
      const end = await playback();
      assert.equal(end.item?.name, "B");
      assert.equal(end.is_playing, false);
      assert.equal(end.progress_ms, 0);
      assert.equal(end.timestamp, T0 + 220_000);
      const rp = await recent();
      assert.deepEqual(
        rp.items.map((i: SpotifyPlayHistory) => [i.track.name, i.played_at]),
        [
          ["B", new Date(T0 + 220_000).toISOString()],
          ["A", new Date(T0 + 100_000).toISOString()],
        ],
      );
    });

    test("repeat context replays the run after the queue is exhausted", async () => {
      const a = track({ name: "A", duration_ms: 60_000 });
      const b = track({ name: "B", duration_ms: 60_000 });
      fake.player.setRepeat("context");
      fake.player.play(a);
      fake.player.queue(b);
      advance(125_000);
      const s = await playback();
      assert.equal(s.item?.name, "A");
      assert.equal(s.progress_ms, 5_000);
      assert.equal(s.is_playing, true);
    });

    test("an ad ends the current item, shows item null, then the queue resumes", async () => {
      const a = track({ name: "A" });
      const b = track({ name: "B" });
      fake.player.play(a);
      fake.player.queue(b);
      advance(40_000);
      fake.player.startAd(15_000);
      advance(5_000);
      const ad = await playback("?additional_types=episode");
      assert.equal(ad.item, null);
      assert.equal(ad.currently_playing_type, "ad");
      assert.equal(ad.progress_ms, 5_000);
      assert.equal(ad.is_playing, true);
      assert.equal(fake.history[0]?.played_at, new Date(T0 + 40_000).toISOString());
      advance(15_000);
      const after = await playback();
      assert.equal(after.item?.name, "B");
      assert.equal(after.progress_ms, 5_000);
      assert.equal(after.timestamp, T0 + 55_000);
      assert.equal(
        fake.plays.some((p) => p.kind === "ad" && p.listened_ms === 15_000),
        true,
      );
      fake.player.startAd(10_000, { type: "unknown" });
      assert.equal((await playback()).currently_playing_type, "unknown");
    });

    test("episodes need additional_types=episode and never reach recently-played", async () => {
      const ep = episode({ name: "Ep 1", duration_ms: 60_000, show: { name: "The Show" } });
      fake.player.play(ep);
      advance(1_000);
      const without = await playback();
      assert.equal(without.item, null);
      assert.equal(without.currently_playing_type, "episode");
      const withEp = await playback("?additional_types=track,episode");
      assert.equal(withEp.item?.type, "episode");
      assert.equal(asEpisode(withEp.item).show.name, "The Show");
      assert.equal(withEp.progress_ms, 1_000);
      const cp = (await api<Playback>("/me/player/currently-playing?additional_types=episode")).json;
      assert.equal(cp.item?.id, ep.id);
      advance(60_000);
      assert.equal(fake.plays[0]?.kind, "episode");
      assert.equal((await recent()).items.length, 0);
    });

    test("local files have no ids, a spotify:local URI, and are not listed", async () => {
      const lf = localFile({ name: "My Song", artist: "Me Myself", album: "Demos", duration_ms: 215_000 });
      assert.equal(lf.uri, "spotify:local:Me+Myself:Demos:My+Song:215");
      fake.player.play(lf);
      advance(5_000);
      const s = await playback();
      const local = asTrack(s.item);
      assert.equal(local.is_local, true);
      assert.equal(local.id, null);
      assert.equal(local.uri, lf.uri);
      assert.equal(local.album.id, null);
      assert.equal(local.artists[0]?.id, null);
      advance(215_000);
      assert.equal(fake.plays[0]?.kind, "local");
      assert.equal(fake.history.length, 0);
    });

    test("private session sets the device flag and keeps plays out of recently-played", async () => {
      const tr = track({ duration_ms: 60_000 });
      fake.player.play(tr);
      fake.player.privateSession(true);
      advance(10_000);
      const s = await playback();
      assert.equal(s.device?.is_private_session, true);
      advance(60_000);
      assert.equal(fake.plays[0]?.private, true);
      assert.equal(fake.history.length, 0);
      fake.player.privateSession(false);
      assert.equal((await playback()).device?.is_private_session, false);
    });

    test("device transfer keeps the item and progress and moves timestamp", async () => {
      const tr = track();
      fake.player.play(tr, { device: { name: "Laptop", type: "Computer" } });
      advance(30_000);
      const before = await playback();
      assert.equal(before.device?.name, "Laptop");
      fake.player.transfer({ id: "kitchen-1", name: "Kitchen", type: "Speaker" });
      advance(5_000);
      const s = await playback();
      assert.equal(s.device?.name, "Kitchen");
      assert.equal(s.device?.id, "kitchen-1");
      assert.equal(s.device?.type, "Speaker");
      assert.equal(s.item?.id, tr.id);
      assert.equal(s.progress_ms, 35_000);
      assert.equal(s.timestamp, T0 + 30_000);
    });

    test("recently-played: newest first, played_at = end, limit/before/after cursors, 30 s rule", async () => {
      // Five 60 s tracks back to back, then a 10 s skip (not listed).
      const ts = [1, 2, 3, 4, 5].map((n) => track({ name: `T${n}`, duration_ms: 60_000 }));
      const [first, ...rest] = ts;
      assert.ok(first);
      fake.player.play(first, { context: { type: "album", uri: first.album.uri ?? "" } });
      fake.player.queue(...rest, track({ name: "skipped" }), track({ name: "last" }));
      advance(5 * 60_000 + 10_000);
      fake.player.next();
      advance(1_000);
      const ends = [5, 4, 3, 2, 1].map((n) => T0 + n * 60_000);

      const all = await recent();
      assert.deepEqual(
        all.items.map((i: SpotifyPlayHistory) => i.played_at),
        ends.map((e) => new Date(e).toISOString()),
      );
      assert.equal(all.limit, 20);
      assert.equal(all.next, null);
      assert.deepEqual(all.cursors, { after: String(ends[0]), before: String(ends[4]) });
      assert.equal(all.items[4]?.track.id, first.id);
      assert.equal(all.items[4]?.context?.type, "album");
      assert.equal(all.items[4]?.track.album.name, first.album.name);

      const p1 = await recent("?limit=2");
      assert.deepEqual(
        p1.items.map((i: SpotifyPlayHistory) => i.track.name),
        ["T5", "T4"],
      );
      assert.equal(p1.next, `${fake.apiUrl}/me/player/recently-played?before=${ends[1]}&limit=2`);
      const p2 = (await call<Recent>(p1.next ?? "", { headers: { authorization: `Bearer ${token}` } })).json;
      assert.deepEqual(
        p2.items.map((i: SpotifyPlayHistory) => i.track.name),
        ["T3", "T2"],
      );

      const aft = await recent(`?after=${ends[3]}`);
      assert.deepEqual(
        aft.items.map((i: SpotifyPlayHistory) => i.track.name),
        ["T5", "T4", "T3"],
      );
      const aft1 = await recent(`?after=${ends[3]}&limit=1`);
      assert.deepEqual(
        aft1.items.map((i: SpotifyPlayHistory) => i.track.name),
        ["T3"],
      );
      assert.equal(aft1.next, `${fake.apiUrl}/me/player/recently-played?after=${ends[2]}&limit=1`);

      const none = await recent(`?before=${ends[4]}`);
      assert.deepEqual(none.items, []);
      assert.equal(none.cursors, null);
      assert.equal(none.next, null);

      assert.equal((await api(`/me/player/recently-played?after=1&before=2`)).status, 400);
      assert.equal((await api(`/me/player/recently-played?limit=0`)).status, 400);
      assert.equal((await api(`/me/player/recently-played?limit=51`)).status, 400);
      assert.equal((await api(`/me/player/recently-played?limit=50`)).status, 200);
      assert.equal(
        fake.plays.some((p) => p.item?.name === "skipped" && !p.listed && p.listened_ms === 10_000),
        true,
      );
    });

    test("recently-played reaches only the last 50 plays", async () => {
      const many = Array.from({ length: 55 }, (_, i) => track({ name: `N${i}`, duration_ms: 30_000 }));
      const [head, ...tail] = many;
      assert.ok(head);
      fake.player.play(head);
      fake.player.queue(...tail);
      advance(55 * 30_000);
      assert.equal(fake.history.length, 55);
      const r = await recent("?limit=50");
      assert.equal(r.items.length, 50);
      assert.equal(r.items[0]?.track.name, "N54");
      assert.equal(r.items[49]?.track.name, "N5");
      assert.equal(r.next, null);
      const older = await recent(`?before=${r.cursors?.before}`);
      assert.equal(older.items.length, 0);
    });

    test("artists and albums: batch, single, unknown ids, and refused batch endpoints", async () => {
      const a1 = artist({ name: "A1", genres: ["indie"], popularity: 70 });
      const a2 = artist({ name: "A2", genres: ["jazz"] });
      const al = album({
        name: "Al",
        artists: [a1],
        label: "Indie Label",
        release_date: "2019",
        release_date_precision: "year",
      });
      const tr = track({ album: al, artists: [a1, a2] });
      fake.catalog.add(tr);
      const unknownId = "0123456789abcdefABCDEF";

      const b = await api<{ artists: (SpotifyArtist | null)[] }>(
        `/artists?ids=${a1.id},${unknownId},${a2.id}`,
      );
      assert.equal(b.status, 200);
      const list = b.json.artists;
      assert.deepEqual(
        list.map((x) => x?.genres ?? null),
        [["indie"], null, ["jazz"]],
      );
      assert.equal(list[0]?.popularity, 70);
      assert.equal(list[0]?.images[0]?.url.startsWith(fake.origin), true);
      const albums = (await api<{ albums: SpotifyAlbum[] }>(`/albums?ids=${al.id}`)).json.albums;
      assert.equal(albums[0]?.label, "Indie Label");
      assert.equal(albums[0]?.release_date_precision, "year");
      assert.equal(albums[0]?.artists[0]?.id, a1.id);

      const tooMany = Array.from({ length: 51 }, () => unknownId).join(",");
      assert.equal((await api(`/artists?ids=${tooMany}`)).status, 400);
      const tooManyAlbums = Array.from({ length: 21 }, () => unknownId).join(",");
      assert.equal((await api(`/albums?ids=${tooManyAlbums}`)).status, 400);

      fake.setBatchEndpointsRefused(true);
      const refused = await api(`/artists?ids=${a1.id}`);
      assert.equal(refused.status, 403);
      assert.equal(refused.json.error.status, 403);
      assert.equal((await api(`/albums?ids=${al.id}`)).status, 403);
      const single = await api<SpotifyArtist>(`/artists/${a2.id}`);
      assert.equal(single.status, 200);
      assert.deepEqual(single.json.genres, ["jazz"]);
      const singleAlbum = await api<FullAlbum>(`/albums/${al.id}`);
      assert.equal(singleAlbum.json.label, "Indie Label");
      assert.equal(singleAlbum.json.tracks.items[0]?.id, tr.id);
      assert.equal((await api(`/artists/${unknownId}`)).status, 404);
      assert.equal((await api(`/albums/${unknownId}`)).status, 404);
      fake.setBatchEndpointsRefused(false);
      assert.equal((await api(`/artists?ids=${a1.id}`)).status, 200);
    });

    test("images are served by the fake itself", async () => {
      const tr = track();
      fake.player.play(tr);
      const url = asTrack((await playback()).item).album.images[1]?.url ?? "";
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/img\/[0-9A-Za-z]{22}-300\.png$/);
      const r = await fetch(url);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get("content-type"), "image/png");
      const bytes = Buffer.from(await r.arrayBuffer());
      assert.deepEqual([...bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
    });

    test("/me and /me/top", async () => {
      const me = (await api<SpotifyUser>("/me")).json;
      assert.equal(me.type, "user");
      assert.equal(me.uri, `spotify:user:${me.id}`);
      assert.equal(typeof me.display_name, "string");
      fake.catalog.add(track({ name: "X" }), track({ name: "Y" }));
      const top = (await api<Paging<SpotifyTrack>>("/me/top/tracks?time_range=short_term&limit=1")).json;
      assert.equal(top.total, 2);
      assert.equal(top.items.length, 1);
      assert.equal(top.items[0]?.name, "X");
      assert.match(top.next ?? "", /offset=1/);
      const artistsTop = (await api<Paging<SpotifyArtist>>("/me/top/artists")).json;
      assert.equal(artistsTop.total, 2);
      assert.equal((await api("/me/top/tracks?time_range=forever")).status, 400);
    });

    test("calls are recorded with status and fake time", async () => {
      fake.player.play(track());
      await api("/me/player");
      advance(5_000);
      await api("/me/player/recently-played");
      await call(`${fake.apiUrl}/me`);
      assert.deepEqual(
        fake.calls.map((c) => [c.method, c.path, c.status, c.at]),
        [
          ["GET", "/v1/me/player", 200, T0],
          ["GET", "/v1/me/player/recently-played", 200, T0 + 5_000],
          ["GET", "/v1/me", 401, T0 + 5_000],
        ],
      );
    });
  });

  describe("faults", () => {
    test("429 with Retry-After, optional reason, consumed in order", async () => {
      fake.faults.next(1, { status: 429, retryAfterSeconds: 7 });
      fake.faults.next(1, { status: 429, retryAfterSeconds: 3600, reason: "QUOTA_EXCEEDED" });
      const r1 = await api("/me/player");
      assert.equal(r1.status, 429);
      assert.equal(r1.headers.get("retry-after"), "7");
      assert.deepEqual(r1.json, { error: { status: 429, message: "API rate limit exceeded" } });
      const r2 = await api("/me/player");
      assert.equal(r2.headers.get("retry-after"), "3600");
      assert.equal(r2.json.error.reason, "QUOTA_EXCEEDED");
      assert.equal((await api("/me/player")).status, 204);
      assert.equal(fake.faults.pending(), 0);
    });

    test("5xx and 401 faults, counted, with a path matcher; accounts untouched by default", async () => {
      fake.faults.next(2, { status: 503 });
      assert.equal((await api("/me")).status, 503);
      assert.equal((await api("/me")).status, 503);
      assert.equal((await api("/me")).status, 200);
      fake.faults.next(1, { status: 500 });
      assert.equal((await api("/me")).status, 500);
      fake.faults.next(1, { status: 502 });
      assert.equal((await api("/me")).status, 502);

      fake.faults.next(1, { status: 401 }, (_m, path) => path === "/v1/me/player");
      assert.equal((await api("/me")).status, 200);
      const f401 = await api("/me/player");
      assert.equal(f401.status, 401);
      assert.equal(f401.json.error.message, "The access token expired");

      fake.faults.next(1, { status: 503 });
      const tok = await call<TokenResponse>(`${fake.accountsUrl}/api/token`, {
        ...form({ grant_type: "refresh_token", refresh_token: fake.issueTokens().refresh_token }),
        headers: { ...form({}).headers, authorization: basic(CLIENT.id, CLIENT.secret) },
      });
      assert.equal(tok.status, 200);
      assert.equal(fake.faults.pending(), 1);
      fake.faults.clear();
      assert.equal(fake.faults.pending(), 0);
    });

    test("delay makes client timeouts fire; reset destroys the socket", async () => {
      fake.faults.next(1, { delayMs: 300 });
      await assert.rejects(
        fetch(`${fake.apiUrl}/me`, {
          headers: { authorization: `Bearer ${token}` },
          signal: AbortSignal.timeout(50),
        }),
        (err: Error) => err.name === "TimeoutError",
      );
      fake.faults.next(1, { delayMs: 100 });
      const started = Date.now();
      const slow = await api("/me");
      assert.equal(slow.status, 200);
      assert.ok(Date.now() - started >= 90);

      fake.faults.next(1, { reset: true });
      await assert.rejects(api("/me"), TypeError);
      assert.equal(fake.calls.at(-1)?.status, 0);
      assert.equal((await api("/me")).status, 200);
    });
  });
});
