import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { issueToken } from "#shared/auth/jwt.ts";
import { SESSION_COOKIE } from "#shared/auth/session.ts";
import { cacheKeys } from "#shared/cache/keys.ts";
import { recordListen } from "#shared/capture/record.ts";
import type { LoopStatus } from "#shared/capture/runner.ts";
import { type Listener, OWNER_ID } from "#shared/domain/listener.ts";
import { systemStatsResponseSchema } from "#shared/http/schemas.ts";
import { SEEN_EVERY_MS } from "#shared/listeners/seen.ts";
import type { TrackInfo } from "#shared/store/port.ts";
import { bearer, startTestApp, TEST_SECRET, type TestApp } from "#test/support/app.ts";
import { playOf } from "#test/support/plays.ts";

/**
 * The owner's view of the household (/admin/system-stats `listeners`) and `last_seen_at`, with
 * the owner and a member holding plays, links and loops of their own.
 */

const MIN = 60_000;
const song: TrackInfo = {
  track_id: "trk1",
  kind: "track",
  name: "Song",
  uri: "spotify:track:trk1",
  artists: [{ id: "art1", name: "Artist" }],
  album: { id: "alb1", name: "Album", image_url: null },
  duration_ms: 200_000,
};
const MEMBER = "mmember0001";

let app: TestApp;
let ownerToken: string;
let memberToken: string;
const now = () => app.deps.clock();

async function link(listener: string) {
  await app.deps.household.storeOf(listener).saveSpotifyLink({
    refresh_token: `refresh-${listener}`,
    scope: "user-read-playback-state",
    linked_at: now().toISOString(),
    user_id: `acct-${listener}`,
    display_name: null,
    needs_reauth: false,
    reauth_reason: null,
  });
}

before(async () => {
  app = await startTestApp();
  const member: Listener = {
    listener_id: MEMBER,
    handle: "member-h",
    role: "member",
    spotify_id: `acct-${MEMBER}`,
    display_name: "Member",
    created_at: now().toISOString(),
    last_seen_at: null,
    public: false,
  };
  assert.equal(await app.deps.household.addListener(member), "created");
  ownerToken = await bearer(app);
  memberToken = await issueToken({ secret: TEST_SECRET, subject: MEMBER, ttlSeconds: 3600, now: now() });
});
after(() => app?.close());

const get = (path: string, headers: Record<string, string>) => fetch(`${app.url}${path}`, { headers });
const asOwner = () => ({ authorization: `Bearer ${ownerToken}` });

describe("/admin/system-stats lists every listener", () => {
  test("handle, role, plays, last listen, link, loop, last poll, last seen: each their own", async () => {
    const t = now().getTime();
    // The owner: two plays, a live loop (its lease note on the link and the cache's lease) and a poll.
    await link(OWNER_ID);
    const ownerStore = app.deps.household.storeOf(OWNER_ID);
    await recordListen(ownerStore, playOf(song, t - 30 * MIN, 150_000, true), song);
    await recordListen(ownerStore, playOf(song, t - 10 * MIN, 20_000, false), song);
    const loopUntil = new Date(t + 5 * MIN).toISOString();
    await ownerStore.setLoopUntil(loopUntil);
    await app.deps.cache.set(cacheKeys.lease(OWNER_ID), "chain-1", { ttlMs: 5 * MIN });
    const status: LoopStatus = { last_successful_poll_at: new Date(t - MIN).toISOString() };
    await app.deps.cache.set(cacheKeys.status(OWNER_ID), status);
    // The member: one play, Spotify's quota back-off, no loop (a note from a loop long gone).
    await link(MEMBER);
    const memberStore = app.deps.household.storeOf(MEMBER);
    await recordListen(memberStore, playOf(song, t - 90 * MIN, 150_000, true), song);
    const quotaUntil = new Date(t + 2 * 3_600_000).toISOString();
    await memberStore.setSpotifyQuotaUntil(quotaUntil);
    await memberStore.setLoopUntil(new Date(t - 20 * MIN).toISOString());

    const res = await get("/admin/system-stats", asOwner());
    assert.equal(res.status, 200);
    const stats = systemStatsResponseSchema.parse(await res.json());
    const byHandle = new Map(stats.listeners.map((l) => [l.handle, l]));
    assert.deepEqual([...byHandle.keys()].sort(), ["member-h", OWNER_ID]);
    const owner = byHandle.get(OWNER_ID) ?? assert.fail("owner");
    const member = byHandle.get("member-h") ?? assert.fail("member");
    assert.deepEqual(
      {
        role: owner.role,
        plays: owner.plays,
        counted: owner.counted_plays,
        last: owner.last_listened_at,
        linked: owner.linked,
        reauth: owner.needs_reauth,
        quota: owner.quota_until,
        alive: owner.loop_alive,
        until: owner.loop_until,
        poll: owner.last_poll_at,
      },
      {
        role: "owner",
        plays: 2,
        counted: 1,
        last: new Date(t - 10 * MIN).toISOString(),
        linked: true,
        reauth: false,
        quota: null,
        alive: true,
        until: loopUntil,
        poll: status.last_successful_poll_at,
      },
    );
    assert.deepEqual(
      {
        role: member.role,
        plays: member.plays,
        last: member.last_listened_at,
        linked: member.linked,
        quota: member.quota_until,
        alive: member.loop_alive,
        until: member.loop_until,
        poll: member.last_poll_at,
        seen: member.last_seen_at,
      },
      {
        role: "member",
        plays: 1,
        last: new Date(t - 90 * MIN).toISOString(),
        linked: true,
        quota: quotaUntil,
        alive: false,
        until: null,
        poll: null,
        seen: null,
      },
    );
    // The owner's request itself was noted.
    assert.equal(owner.last_seen_at, now().toISOString());

    // A revoked link reads as such; the owner's own figures stay the top-level ones.
    await memberStore.markSpotifyNeedsReauth("invalid_grant");
    const again = systemStatsResponseSchema.parse(await (await get("/admin/system-stats", asOwner())).json());
    assert.equal(again.listeners.find((l) => l.handle === "member-h")?.needs_reauth, true);
    assert.equal(again.counts.plays, 2);
    // Members may not look.
    const refused = await get("/admin/system-stats", { authorization: `Bearer ${memberToken}` });
    assert.equal(refused.status, 403);
  });
});

describe("last_seen_at", () => {
  const seen = async (id: string) => (await app.deps.household.getListener(id))?.last_seen_at ?? null;

  test("moves when a member uses the API, at most once an hour (bearer or session)", async () => {
    const first = now().toISOString();
    assert.equal((await get("/me", { authorization: `Bearer ${memberToken}` })).status, 200);
    const noted = await seen(MEMBER);
    assert.ok(noted !== null && noted >= first, `noted at the request (${noted})`);
    // Within the hour: the stored time is not touched again, whichever credential is used.
    app.advance(10 * MIN);
    const session = await issueToken({ secret: TEST_SECRET, subject: MEMBER, ttlSeconds: 3600, now: now() });
    assert.equal((await get("/me", { cookie: `${SESSION_COOKIE}=${session}` })).status, 200);
    assert.equal(await seen(MEMBER), noted, "a second request within the hour does not write");
    // Past the hour it moves.
    app.advance(SEEN_EVERY_MS);
    const later = now().toISOString();
    const token = await issueToken({ secret: TEST_SECRET, subject: MEMBER, ttlSeconds: 3600, now: now() });
    assert.equal((await get("/plays", { authorization: `Bearer ${token}` })).status, 200);
    assert.equal(await seen(MEMBER), later);
  });

  test("the owner's too, though their token is taken without reading their item", async () => {
    app.advance(SEEN_EVERY_MS + MIN);
    const owner = await bearer(app);
    const at = now().toISOString();
    assert.equal((await get("/plays", { authorization: `Bearer ${owner}` })).status, 200);
    assert.equal(await seen(OWNER_ID), at);
    app.advance(30 * MIN);
    assert.equal((await get("/plays", { authorization: `Bearer ${owner}` })).status, 200);
    assert.equal(await seen(OWNER_ID), at, "within the hour: unchanged");
    // The owner's item keeps what reads synthesize (role, handle, public cards).
    const item = await app.deps.household.getListener(OWNER_ID);
    assert.deepEqual([item?.role, item?.handle, item?.public], ["owner", OWNER_ID, true]);
  });

  test("the conditional write: one writer per hour across processes, never a removed member back", async () => {
    const { household } = app.deps;
    const t = now();
    const stale = new Date(t.getTime() - SEEN_EVERY_MS);
    app.advance(2 * SEEN_EVERY_MS);
    const later = now();
    const staleLater = new Date(later.getTime() - SEEN_EVERY_MS);
    assert.equal(await household.markSeen(MEMBER, later, staleLater), true, "stale: written");
    assert.equal(await household.markSeen(MEMBER, later, staleLater), false, "just written: refused");
    assert.equal(await seen(MEMBER), later.toISOString());
    assert.equal(await household.markSeen("mnobody0000", t, stale), false);
    assert.equal(await household.getListener("mnobody0000"), null, "no item made for nobody");
  });
});
