import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { issueToken } from "#shared/auth/jwt.ts";
import { SESSION_COOKIE } from "#shared/auth/session.ts";
import { cacheKeys } from "#shared/cache/keys.ts";
import { recordListen } from "#shared/capture/record.ts";
import { type Listener, OWNER_ID } from "#shared/domain/listener.ts";
import type { NowPlayingSnapshot } from "#shared/domain/tracker.ts";
import { audienceOf } from "#shared/http/route.ts";
import { routeList } from "#shared/http/routes.ts";
import type { TrackInfo } from "#shared/store/port.ts";
import { topHistoryOf } from "#shared/store/top-history.ts";
import { bearer, startTestApp, TEST_SECRET, type TestApp } from "#test/support/app.ts";
import { playOf } from "#test/support/plays.ts";

/**
 * The privacy walk: with the owner and two members holding plays, every route of the route
 * table (read from it, so a new route is walked too) is called as member A (a browser session),
 * member B (a bearer token), the owner and anonymously, and no answer may carry another
 * listener's data — track, artist and album names and ids, Spotify account, display name —
 * unless the owner asked for it (owner-only routes, or `?listener=<handle>`). A's cards are
 * public, B's are not. Changes one listener makes to another's hoard must not happen either:
 * every hoard is counted again at the end.
 */

const NOW = Date.parse("2026-11-21T12:00:00.000Z");
const WHO = ["owner", "alpha", "bravo"] as const;
type Who = (typeof WHO)[number];

const trackOf = (who: Who): TrackInfo => ({
  track_id: `trk${who}`,
  kind: "track",
  name: `Song-of-${who}`,
  uri: `spotify:track:trk${who}`,
  artists: [{ id: `art${who}`, name: `Artist-of-${who}` }],
  album: { id: `alb${who}`, name: `Album-of-${who}`, image_url: null },
  duration_ms: 200_000,
});

/** Strings only `who`'s data contains. */
const markers = (who: Who) => [
  `trk${who}`,
  `Song-of-${who}`,
  `art${who}`,
  `Artist-of-${who}`,
  `alb${who}`,
  `Album-of-${who}`,
  `acct-${who}`,
  `Name-of-${who}`,
];

let app: TestApp;
const ids: Record<Who, string> = { owner: OWNER_ID, alpha: "malpha0001", bravo: "mbravo0002" };
const handles: Record<Who, string> = { owner: OWNER_ID, alpha: "alpha-h", bravo: "bravo-h" };
const playIds: Partial<Record<Who, string>> = {};
let ownerToken: string;
let bravoToken: string;
let alphaSession: string;

async function seed(who: Who) {
  const id = ids[who];
  if (who !== "owner") {
    const listener: Listener = {
      listener_id: id,
      handle: handles[who],
      role: "member",
      spotify_id: `acct-${who}`,
      display_name: `Name-of-${who}`,
      created_at: new Date(NOW).toISOString(),
      last_seen_at: null,
      public: who === "alpha",
    };
    assert.equal(await app.deps.household.addListener(listener), "created");
  }
  const store = app.deps.household.storeOf(id);
  await store.saveSpotifyLink({
    refresh_token: `refresh-${who}`,
    scope: "user-read-playback-state",
    linked_at: new Date(NOW).toISOString(),
    user_id: `acct-${who}`,
    display_name: `Name-of-${who}`,
    needs_reauth: false,
    reauth_reason: null,
  });
  const track = trackOf(who);
  for (let i = 0; i < 3; i++) {
    const play = playOf(track, NOW - (i + 1) * 3_600_000, 150_000, true);
    await recordListen(store, play, track);
    playIds[who] = `${play.listened_at}#${play.track_id}`;
  }
  // Spotify's top list of the day (GET /history lists it by default).
  await topHistoryOf(store).putTopSnapshot({
    type: "tracks",
    range: "medium_term",
    day: new Date(NOW).toISOString().slice(0, 10),
    fetched_at: new Date(NOW).toISOString(),
    total: 1,
    items: [{ id: track.track_id, name: track.name, detail: [`Artist-of-${who}`], image_url: null }],
  });
  const snapshot = {
    is_playing: true,
    observed_at: NOW - 1000,
    progress_ms: 1000,
    item: {
      key: track.track_id,
      kind: "track",
      name: track.name,
      uri: track.uri,
      artists: track.artists,
      album: track.album,
      duration_ms: track.duration_ms,
    },
  } as unknown as NowPlayingSnapshot;
  await app.deps.cache.set(cacheKeys.snapshot(id), snapshot);
}

before(async () => {
  app = await startTestApp();
  for (const who of WHO) await seed(who);
  ownerToken = await bearer(app);
  bravoToken = await issueToken({
    secret: TEST_SECRET,
    subject: ids.bravo,
    ttlSeconds: 600,
    now: app.deps.clock(),
  });
  alphaSession = await issueToken({
    secret: TEST_SECRET,
    subject: ids.alpha,
    ttlSeconds: 600,
    now: app.deps.clock(),
  });
});
after(() => app?.close());

type Caller = "anonymous" | Who;

function credentials(caller: Caller): Record<string, string> {
  if (caller === "owner") return { authorization: `Bearer ${ownerToken}` };
  if (caller === "bravo") return { authorization: `Bearer ${bravoToken}` };
  // A browser: the session cookie, and its own origin on every request.
  if (caller === "alpha") return { cookie: `${SESSION_COOKIE}=${alphaSession}`, origin: app.url };
  return {};
}

/** The listener whose data a caller may see in a route's answer (besides public cards). */
const own = (caller: Caller): Who[] => (caller === "anonymous" ? ["owner"] : [caller]);

/** Someone else to aim at: a member aims at the other member, the owner at alpha. */
const other = (caller: Caller): Who =>
  caller === "alpha" ? "bravo" : caller === "bravo" ? "alpha" : "alpha";

const SAMPLE_QUERY: Record<string, string> = {
  // A range without plays: the range delete is walked without deleting anything.
  "DELETE /plays": "from=2000-01-01T00:00:00.000Z&to=2000-01-02T00:00:00.000Z",
};

async function call(route: (typeof routeList)[number], caller: Caller) {
  const target = other(caller);
  // The owner may remove a member: aimed at nobody, so the walk goes on with both members.
  const removal = caller === "owner" && route.method === "DELETE" && route.path.includes("{handle}");
  const path = route.path
    .replace("{handle}", removal ? "nobody-h" : handles[target])
    .replace("{id}", encodeURIComponent(playIds[target] ?? "x"))
    // A track or artist page aimed at another listener's track or artist.
    .replace("{track_id}", `trk${target}`)
    .replace("{artist_id}", `art${target}`);
  const query = SAMPLE_QUERY[`${route.method} ${route.path}`];
  const res = await fetch(`${app.url}${path}${query ? `?${query}` : ""}`, {
    method: route.method,
    headers: {
      ...credentials(caller),
      ...(route.method === "GET" || route.method === "DELETE" ? {} : { "content-type": "application/json" }),
    },
    ...(route.method === "GET" || route.method === "DELETE" ? {} : { body: "{}" }),
    redirect: "manual",
  });
  // The path parameters sent, as an error may quote them.
  const sent = route.path.includes("{id}")
    ? (playIds[target] ?? "x")
    : route.path.includes("{track_id}")
      ? `trk${target}`
      : route.path.includes("{artist_id}")
        ? `art${target}`
        : "";
  return { status: res.status, text: await res.text(), target, sent };
}

const counts = async () =>
  Object.fromEntries(
    await Promise.all(
      WHO.map(async (w) => [w, (await app.deps.household.storeOf(ids[w]).getCounts()).plays]),
    ),
  );

describe("privacy walk", () => {
  test("GET /me/now-playing is the caller's own; /spotify/now-playing stays the owner's", async () => {
    for (const caller of ["owner", "alpha", "bravo"] as const) {
      const res = await fetch(`${app.url}/me/now-playing`, { headers: credentials(caller) });
      assert.equal(res.status, 200, caller);
      const body = (await res.json()) as { state: string; title: string | null; artists: string[] };
      assert.equal(body.title, `Song-of-${caller}`, `${caller} sees what they play`);
      assert.deepEqual(body.artists, [`Artist-of-${caller}`]);
    }
    const anonymous = await fetch(`${app.url}/me/now-playing`);
    assert.equal(anonymous.status, 401);
    const publicJson = await fetch(`${app.url}/spotify/now-playing`, { headers: credentials("alpha") });
    assert.equal(((await publicJson.json()) as { title: string }).title, "Song-of-owner");
  });

  test("no answer carries another listener's data unless the owner asked for it", async () => {
    const before = await counts();
    // Leaving (DELETE /me) is walked last, once everybody else's checks are done.
    const last = (r: (typeof routeList)[number]) => r.method === "DELETE" && r.path === "/me";
    const walk = [...routeList.filter((r) => !last(r)), ...routeList.filter(last)];
    let calls = 0;
    for (const route of walk) {
      for (const caller of ["anonymous", "owner", "bravo", "alpha"] as const) {
        if (last(route) && caller === "alpha") continue; // alpha is walked by the owner below
        const { status, text, target, sent } = await call(route, caller);
        calls++;
        const where = `${caller} → ${route.method} ${route.path} (${status})`;
        // Spotify is not configured here: its routes answer 503 naming that, never a crash.
        assert.ok(status < 500 || /not.configured/i.test(text), `${where}: ${text.slice(0, 200)}`);
        const audience = audienceOf(route);
        // The owner sees everyone on the owner's own routes.
        if (caller === "owner" && audience === "owner") continue;
        const allowed = new Set<Who>(own(caller));
        // The single-user public routes (/spotify/… cards) are the owner's, shown to anybody.
        if (audience === "public") allowed.add("owner");
        // Public cards show their listener to anybody: alpha's are public, bravo's are not.
        if (audience === "handle" && target === "alpha") allowed.add("alpha");
        if (audience === "handle" && caller === "owner") allowed.add(target);
        // An error may name what was asked for (the path sent): that is no leak.
        const answer = status >= 400 && sent ? text.replaceAll(sent, "") : text;
        for (const who of WHO) {
          if (allowed.has(who)) continue;
          for (const m of markers(who)) assert.ok(!answer.includes(m), `${where} leaks ${who}'s ${m}`);
        }
        if (audience === "handle" && target === "bravo" && caller !== "owner")
          assert.equal(status, 404, where);
      }
    }
    assert.ok(calls >= routeList.length * 4 - 1);
    const afterWalk = await counts();
    // bravo left the household (DELETE /me); nobody's hoard changed otherwise.
    assert.deepEqual(afterWalk, { ...before, bravo: 0 });
  });

  test("the owner names a listener with ?listener=; a member may not", async () => {
    const asOwner = await fetch(`${app.url}/plays?listener=${handles.alpha}`, {
      headers: credentials("owner"),
    });
    assert.equal(asOwner.status, 200);
    assert.match(await asOwner.text(), /Song-of-alpha/);
    const asMember = await fetch(`${app.url}/plays?listener=${handles.owner}`, {
      headers: credentials("alpha"),
    });
    assert.equal(asMember.status, 403);
    assert.equal(((await asMember.json()) as { error: string }).error, "owner_only");
  });

  test("a cookie session changes nothing without this site's Origin", async () => {
    const res = await fetch(`${app.url}/me`, {
      method: "PATCH",
      headers: { cookie: `${SESSION_COOKIE}=${alphaSession}`, "content-type": "application/json" },
      body: JSON.stringify({ public: false }),
    });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { error: string }).error, "csrf_origin");
    const elsewhere = await fetch(`${app.url}/me`, {
      method: "PATCH",
      headers: {
        cookie: `${SESSION_COOKIE}=${alphaSession}`,
        origin: "https://evil.example",
        "content-type": "application/json",
      },
      body: JSON.stringify({ public: false }),
    });
    assert.equal(elsewhere.status, 403);
    assert.equal((await app.deps.household.getListener(ids.alpha))?.public, true);
  });
});
