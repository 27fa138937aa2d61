import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { SESSION_COOKIE } from "#shared/auth/session.ts";
import { cacheKeys } from "#shared/cache/keys.ts";
import { recordListen } from "#shared/capture/record.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import type { TrackInfo } from "#shared/store/port.ts";
import { bearer, startTestApp, type TestApp } from "#test/support/app.ts";
import { appEnvFor } from "#test/support/fake-spotify.ts";
import { playOf } from "#test/support/plays.ts";
import { type SpotifyHousehold, startSpotifyHousehold } from "#test/support/spotify-household.ts";

/**
 * Joining and leaving, through the routes and two Spotify accounts: the owner invites, the
 * invited account signs in with Spotify and becomes a member with a session, the invite works
 * once, an account without one is refused, the member makes their cards public, and the owner
 * sees, reports and removes them.
 */

let app: TestApp;
let spotify: SpotifyHousehold;
let owner: string;
const REDIRECT = "http://127.0.0.1:8000/spotify/callback";
const JSON_ACCEPT = { accept: "application/json" };

before(async () => {
  spotify = await startSpotifyHousehold(3, { now: () => app?.deps.clock().getTime() ?? Date.now() });
  app = await startTestApp(appEnvFor(spotify, REDIRECT));
  owner = await bearer(app);
});
after(async () => {
  await app?.close();
  await spotify?.stop();
});

const asOwner = (path: string, init: RequestInit = {}) =>
  fetch(`${app.url}${path}`, { ...init, headers: { authorization: `Bearer ${owner}`, ...init.headers } });

/** GET /login (with an invite) → Spotify's consent as `account` → the callback. */
async function signIn(account: number, invite?: string) {
  const login = await fetch(`${app.url}/login${invite ? `?invite=${invite}` : ""}`, { redirect: "manual" });
  if (login.status !== 302) return login;
  spotify.consentAs(account);
  const consent = await fetch(login.headers.get("location") ?? "", { redirect: "manual" });
  assert.equal(consent.status, 302);
  const back = new URL(consent.headers.get("location") ?? "");
  assert.equal(`${back.origin}${back.pathname}`, REDIRECT);
  return fetch(`${app.url}/spotify/callback?${back.searchParams}`, { headers: JSON_ACCEPT });
}

const sessionOf = (res: Response) => {
  const cookie = res.headers.get("set-cookie") ?? "";
  assert.match(cookie, new RegExp(`^${SESSION_COOKIE}=[^;]+; Path=/; Max-Age=\\d+; HttpOnly; SameSite=Lax$`));
  return cookie.split(";")[0] ?? "";
};

test("an invite makes a member once; the member signs in again; no invite, no entry", async () => {
  const created = await asOwner("/admin/invites", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ handle: "robin" }),
  });
  assert.equal(created.status, 201);
  const invite = (await created.json()) as { code: string; url: string };
  assert.ok(invite.url.endsWith(`/login?invite=${invite.code}`));

  const joined = await signIn(1, invite.code);
  assert.equal(joined.status, 200, await joined.clone().text());
  assert.deepEqual(
    { ...((await joined.clone().json()) as object), loop: undefined },
    {
      linked: true,
      user_id: "account-1",
      display_name: "Account 1",
      loop: undefined,
      handle: "robin",
      joined: true,
    },
  );
  const cookie = sessionOf(joined);
  const me = await fetch(`${app.url}/me`, { headers: { cookie } });
  assert.equal(me.status, 200);
  const body = (await me.json()) as { handle: string; role: string; linked: boolean; public: boolean };
  assert.deepEqual([body.handle, body.role, body.linked, body.public], ["robin", "member", true, false]);

  // Used: the same code again is refused before Spotify is even asked.
  assert.equal((await signIn(2, invite.code)).status, 400);
  // An account of the Spotify app that nobody invited.
  const stranger = await signIn(2);
  assert.equal(stranger.status, 403);
  assert.equal(((await stranger.json()) as { error: string }).error, "not_invited");
  // The member signs in again without an invite: same listener, a new session.
  const again = await signIn(1);
  assert.equal(again.status, 200);
  assert.equal(((await again.json()) as { handle: string; joined: boolean }).joined, false);
  sessionOf(again);
});

test("a member's cards are theirs to make public; the owner reports and removes them", async () => {
  const robin = await app.deps.household.findByHandle("robin");
  assert.ok(robin, "robin joined in the test before");
  const track: TrackInfo = {
    track_id: "trkrobin",
    kind: "track",
    name: "Robin's song",
    uri: "spotify:track:trkrobin",
    artists: [{ id: "artrobin", name: "Robin's artist" }],
    album: null,
    duration_ms: 200_000,
  };
  const store = app.deps.household.storeOf(robin.listener_id);
  const now = app.deps.clock().getTime();
  for (let i = 0; i < 3; i++)
    await recordListen(store, playOf(track, now - (i + 1) * 600_000, 150_000, true), track);

  const card = () => fetch(`${app.url}/u/robin/recently-played.svg`);
  assert.equal((await card()).status, 404, "private by default");
  const session = sessionOf((await signIn(1)) as Response);
  const made = await fetch(`${app.url}/me`, {
    method: "PATCH",
    headers: { cookie: session, origin: app.url, "content-type": "application/json" },
    body: JSON.stringify({ public: true }),
  });
  assert.equal(made.status, 200);
  const open = await card();
  assert.equal(open.status, 200);
  assert.match(await open.text(), /Robin’s song|Robin&#39;s song|Robin's song/);

  const list = (await (await asOwner("/admin/listeners")).json()) as {
    items: { handle: string; plays: number }[];
  };
  assert.deepEqual(
    list.items.map((l) => [l.handle, l.plays]),
    [
      ["owner", 0],
      ["robin", 3],
    ],
  );
  const csv = await (await asOwner("/admin/listeners.csv")).text();
  assert.match(csv, /^handle,role,/);
  assert.match(csv, /\r\nrobin,member,/);
  const report = (await (await asOwner("/admin/listeners/robin/report")).json()) as {
    top_tracks: { id: string; plays: number }[];
  };
  assert.deepEqual(report.top_tracks, [{ id: "trkrobin", name: "Robin's song", plays: 3 }]);
  // A member is not the owner.
  assert.equal((await fetch(`${app.url}/admin/listeners`, { headers: { cookie: session } })).status, 403);

  // Removal, repeated while `more`: afterwards nothing of robin's is left.
  let rounds = 0;
  for (;;) {
    const res = await asOwner("/admin/listeners/robin", { method: "DELETE" });
    assert.equal(res.status, 200);
    rounds++;
    if (!((await res.json()) as { more: boolean }).more) break;
    assert.ok(rounds < 50);
  }
  assert.equal(await app.deps.household.findByHandle("robin"), null);
  assert.equal((await store.getCounts()).plays, 0);
  assert.equal((await store.listPlays({ limit: 10 })).items.length, 0);
  assert.equal(await store.getSpotifyLink(), null);
  assert.equal(
    (await fetch(`${app.url}/me`, { headers: { cookie: session } })).status,
    401,
    "the session names nobody",
  );
  assert.equal((await asOwner("/admin/listeners/robin", { method: "DELETE" })).status, 404);

  // The owner stays, whoever asks (the rule is the removal's, not a route's): refused before
  // anything of theirs is touched.
  const ownerLink = {
    refresh_token: "owner-refresh",
    scope: "user-read-playback-state",
    linked_at: new Date(now).toISOString(),
    user_id: "owner-account",
    display_name: null,
    needs_reauth: false,
    reauth_reason: null,
  };
  await app.deps.store.saveSpotifyLink(ownerLink);
  for (const path of [`/admin/listeners/${OWNER_ID}`, "/me"]) {
    const refused = await asOwner(path, { method: "DELETE" });
    assert.equal(refused.status, 403, path);
    const body = (await refused.json()) as { error: string; message: string };
    assert.equal(body.error, "owner_stays", path);
    assert.match(body.message, /owner cannot be removed/);
  }
  assert.equal(await app.deps.cache.get(cacheKeys.lease(OWNER_ID)), null, "the owner's lease is not marked");
  assert.deepEqual(await app.deps.store.getSpotifyLink(), ownerLink, "the owner's link is kept");
});

test("while a removal is unfinished the member is nobody: no session, no cards, no signing in again", async () => {
  const created = await asOwner("/admin/invites", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ handle: "wren" }),
  });
  const { code } = (await created.json()) as { code: string };
  const cookie = sessionOf(await signIn(2, code));
  const asWren = (path: string, init: RequestInit = {}) =>
    fetch(`${app.url}${path}`, { ...init, headers: { cookie, origin: app.url, ...init.headers } });
  const made = await asWren("/me", {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ public: true }),
  });
  assert.equal(made.status, 200);
  const card = () => fetch(`${app.url}/u/wren/now-playing.svg`);
  assert.equal((await card()).status, 200);

  // A purge that needs more calls: the first one's pages held nothing of wren's.
  const { household } = app.deps;
  const purge = household.purge;
  household.purge = async () => ({ deleted: 0, more: true });
  try {
    const left = await asWren("/me", { method: "DELETE" });
    assert.equal(left.status, 200);
    assert.equal(((await left.json()) as { more: boolean }).more, true);
  } finally {
    household.purge = purge;
  }
  const me = await asWren("/me");
  assert.equal(me.status, 401);
  assert.match(((await me.json()) as { message: string }).message, /being removed/);
  assert.equal((await card()).status, 404, "their cards are nobody's");
  const again = await signIn(2);
  assert.equal(again.status, 403);
  assert.equal(((await again.json()) as { error: string }).error, "listener_removed");
  const wren = await household.findByHandle("wren");
  assert.ok(wren?.removing_since, "the owner sees the removal under way");
  assert.equal(await household.storeOf(wren.listener_id).getSpotifyLink(), null, "not linked again");

  // Leaving is the one thing they may still do: repeated while `more`.
  for (let rounds = 0; ; rounds++) {
    const res = await asWren("/me", { method: "DELETE" });
    assert.equal(res.status, 200);
    if (!((await res.json()) as { more: boolean }).more) break;
    assert.ok(rounds < 50);
  }
  assert.equal(await household.findByHandle("wren"), null);
});
