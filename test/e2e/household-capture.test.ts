import assert from "node:assert/strict";
import { test } from "node:test";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { cacheKeys } from "#shared/cache/keys.ts";
import { DEFAULT_LOOP_OPTIONS } from "#shared/capture/loop.ts";
import { recordListen } from "#shared/capture/record.ts";
import type { Play } from "#shared/domain/entities.ts";
import { listenersResponseSchema } from "#shared/http/household-schemas.ts";
import { createDocumentClient } from "#shared/store/dynamo.ts";
import type { TrackInfo } from "#shared/store/port.ts";
import { listenerPrefix } from "#shared/store/table.ts";
import { bearer } from "#test/support/app.ts";
import { type CaptureRig, startCaptureRig } from "#test/support/capture.ts";
import { track } from "#test/support/fake-spotify.ts";
import { playOf } from "#test/support/plays.ts";

/**
 * Listeners recorded side by side: each listener's own Spotify account (its own fake) plays
 * its own session on one virtual clock, the local runtime runs one loop per listener, and each
 * hoard must hold exactly what that account played — nothing of anyone else's — with one
 * lease per listener held by that listener's loop.
 */

const S = 1000;
const HOUR = 3600 * S;
const song: TrackInfo = {
  track_id: "seeded1",
  kind: "track",
  name: "Seeded",
  uri: "spotify:track:seeded1",
  artists: [{ id: "art1", name: "Artist" }],
  album: { id: "alb1", name: "Album", image_url: null },
  duration_ms: 200_000,
};

async function household(members: number) {
  const rig = await startCaptureRig({ members });
  // Listener i plays i+2 tracks of its own, starting i × 7 s in, the last one skipped early.
  const sessions = rig.fakes.map((fake, i) => {
    const tracks = Array.from({ length: i + 2 }, (_, n) =>
      track({ name: `L${i}-T${n}`, duration_ms: (60 + 10 * n) * S }),
    );
    rig.at(i * 7 * S, () => {
      const [first, ...rest] = tracks;
      if (first) fake.player.play(first);
      fake.player.queue(...rest);
    });
    const total = tracks.slice(0, -1).reduce((ms, t) => ms + t.duration_ms, 0);
    // 20 s into the last track: a skip (counted: false).
    rig.at(i * 7 * S + total + 20 * S, () => fake.player.stop());
    return tracks;
  });
  return { rig, sessions };
}

async function check(rig: CaptureRig, sessions: ReturnType<typeof track>[][]) {
  assert.equal(rig.leases(), rig.listeners.length, "one loop per listener");
  for (const [i, id] of rig.listeners.entries()) {
    const store = rig.app.deps.household.storeOf(id);
    const plays: Play[] = (await store.listPlays({ limit: 100 })).items.reverse();
    const tracks = sessions[i] ?? [];
    assert.deepEqual(
      plays.map((p) => p.name),
      tracks.map((t) => t.name),
      `listener ${id} holds exactly their own session`,
    );
    assert.deepEqual(
      plays.map((p) => p.counted),
      tracks.map((_, n) => n < tracks.length - 1),
      `listener ${id}: every play counted but the skipped last one`,
    );
    for (const [n, p] of plays.entries()) {
      const want = (rig.fakes[i]?.plays ?? [])[n];
      assert.ok(want, `listener ${id}: the fake played play ${n}`);
      assert.ok(
        Math.abs(Date.parse(p.listened_at) - want.started_at) <= 2 * S,
        `listener ${id} play ${n} start`,
      );
    }
    const counts = await store.getCounts();
    assert.equal(counts.plays, tracks.length, `listener ${id}: counts are their own`);
  }
}

test("two listeners side by side: each loop faithful, no cross-talk", { timeout: 180_000 }, async () => {
  const { rig, sessions } = await household(1);
  try {
    // What looking for a removal costs, counted while both loops live between lease renewals:
    // the member's loop reads its lease about once per removalCheckMs, not once per poll, and
    // the owner's (who cannot be removed) not at all.
    const { cache } = rig.app.deps;
    const get = cache.get.bind(cache);
    const leaseReads = new Map<string, number>();
    let counting = false;
    cache.get = (<T>(key: string) => {
      if (counting) leaseReads.set(key, (leaseReads.get(key) ?? 0) + 1);
      return get<T>(key);
    }) as typeof cache.get;
    const [owner, member] = rig.listeners as [string, string];
    await rig.runUntil(70 * S);
    counting = true;
    const polled = rig.fakes[1]?.calls.length ?? 0;
    await rig.runUntil(190 * S);
    counting = false;
    const memberPolls = (rig.fakes[1]?.calls.length ?? 0) - polled;
    const memberReads = leaseReads.get(cacheKeys.lease(member)) ?? 0;
    const checks = (120 * S) / DEFAULT_LOOP_OPTIONS.removalCheckMs;
    // Besides the checks, one read before each write of a finished listen (two or three here).
    assert.ok(memberReads >= checks - 1 && memberReads <= checks + 4, `member's lease reads: ${memberReads}`);
    assert.ok(memberPolls > 3 * memberReads, `far fewer than the polls (${memberPolls})`);
    assert.equal(leaseReads.get(cacheKeys.lease(owner)) ?? 0, 0, "the owner's loop reads no lease");
    await rig.runUntil(6 * 60 * S);
    await check(rig, sessions);
  } finally {
    await rig.stop();
  }
});

test("five listeners side by side: five loops, five leases, five faithful hoards", {
  timeout: 300_000,
}, async () => {
  const { rig, sessions } = await household(4);
  try {
    // Mid-session every listener's own loop holds its own lease.
    // (members start playing within the first 30 s; their watchdogs look at 60 s)
    await rig.runUntil(100 * S);
    const holders = await Promise.all(
      rig.listeners.map((id) => rig.app.deps.cache.get<string>(cacheKeys.lease(id))),
    );
    assert.ok(
      holders.every((h) => typeof h === "string"),
      `every listener's lease is held: ${JSON.stringify(holders)}`,
    );
    assert.equal(new Set(holders).size, rig.listeners.length, "five different holders");
    await rig.runUntil(10 * 60 * S);
    await check(rig, sessions);
  } finally {
    await rig.stop();
  }
});

test("a removed member's loop stops promptly and writes nothing back into their purged hoard", {
  timeout: 180_000,
}, async () => {
  const rig = await startCaptureRig({ members: 1 });
  const [ownerFake, memberFake] = rig.fakes;
  const member = rig.listeners[1] ?? assert.fail("a member");
  try {
    assert.ok(ownerFake && memberFake);
    // Both play long queues; the member is removed in the middle of their second track.
    const queue = (who: string) =>
      Array.from({ length: 8 }, (_, n) => track({ name: `${who}-T${n}`, duration_ms: 70 * S }));
    const ownerTracks = queue("owner");
    const memberTracks = queue("member");
    rig.at(0, () => {
      ownerFake.player.play(ownerTracks[0] ?? assert.fail());
      ownerFake.player.queue(...ownerTracks.slice(1));
      memberFake.player.play(memberTracks[0] ?? assert.fail());
      memberFake.player.queue(...memberTracks.slice(1));
    });
    await rig.runUntil(100 * S);
    const memberStore = rig.app.deps.household.storeOf(member);
    assert.ok((await memberStore.getCounts()).plays >= 1, "the member's loop was recording");

    const removed = await fetch(`${rig.app.url}/admin/listeners/member-1`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${await bearer(rig.app)}` },
    });
    assert.equal(removed.status, 200);
    assert.equal(((await removed.json()) as { more: boolean }).more, false, "purged in one call");
    const removedAt = rig.app.deps.clock().getTime();
    const asked = () => memberFake.calls.filter((c) => c.at >= removedAt);

    // Not at its lease renewal minutes later, nor when the listen it has open ends (70 s at
    // most): its next lease check, a few polls on, stops it before it asks Spotify again.
    await rig.runUntil(100 * S + 30 * S);
    const late = asked().filter((c) => c.at >= removedAt + DEFAULT_LOOP_OPTIONS.removalCheckMs);
    assert.deepEqual(late, [], "nothing asked of Spotify once the loop's lease check was due");
    const looks = asked().length;
    assert.ok(looks <= 10, `a few looks at most after the removal, not one per poll for long: ${looks}`);
    await rig.runUntil(10 * 60 * S);
    assert.equal(asked().length, looks, "no more looks at the removed member's player");
    const left = await scanPrefix(rig, listenerPrefix(member));
    assert.deepEqual(left, [], "nothing of the removed member was written back");
    assert.equal((await memberStore.listPlays({ limit: 10 })).items.length, 0);
    // The owner's loop went on: every track that ended is theirs.
    const ownerPlays = (await rig.app.deps.store.listPlays({ limit: 20 })).items;
    assert.equal(ownerPlays.length, ownerTracks.length, "the owner's eight tracks");
  } finally {
    await rig.stop();
  }
});

test("a removed member's Spotify is asked nothing after the DELETE, though the purge takes many calls", {
  timeout: 180_000,
}, async () => {
  const rig = await startCaptureRig({ members: 1 });
  const memberFake = rig.fakes[1] ?? assert.fail("the member's account");
  const member = rig.listeners[1] ?? assert.fail("a member");
  const { household } = rig.app.deps;
  try {
    // A hoard of their own, and nothing playing: only the watchdog asks, once a minute.
    const memberStore = household.storeOf(member);
    const t0 = rig.app.deps.clock().getTime();
    for (let n = 0; n < 5; n++)
      await recordListen(memberStore, playOf(song, t0 - (n + 1) * HOUR, 150 * S, true), song);
    await rig.runUntil(3 * 60 * S + 30 * S);
    const looked = memberFake.calls.filter((c) => c.path === "/v1/me/player").length;
    assert.ok(looked >= 3, `the watchdog asked about the member's player every minute: ${looked}`);

    // Small Scan pages, so each call deletes a part and says `more`, as over a real table. The
    // first call reaches none of their items (where a Scan meets an item is the table's
    // business: here the link would come early), as when its pages hold only others' items.
    const purge = household.purge;
    let calls = 0;
    household.purge = async (l, opts) =>
      ++calls === 1 ? { deleted: 0, more: true } : purge(l, { ...opts, maxPages: 1, pageItems: 5 });
    const owner = { authorization: `Bearer ${await bearer(rig.app)}` };
    const remove = async () => {
      const res = await fetch(`${rig.app.url}/admin/listeners/member-1`, {
        method: "DELETE",
        headers: owner,
      });
      assert.equal(res.status, 200);
      return ((await res.json()) as { more: boolean }).more;
    };
    assert.equal(await remove(), true, "the purge is unfinished after the first call");
    const removedAt = rig.app.deps.clock().getTime();

    // Minutes of watchdog runs with the purge still unfinished: the member is passed by.
    await rig.runUntil(10 * 60 * S);
    const listed = listenersResponseSchema.parse(
      await (await fetch(`${rig.app.url}/admin/listeners`, { headers: owner })).json(),
    );
    assert.deepEqual(
      listed.items.find((l) => l.handle === "member-1")?.linked,
      false,
      "still listed while the purge is unfinished, no longer linked",
    );
    assert.deepEqual(
      memberFake.calls.filter((c) => c.at >= removedAt),
      [],
      "not one request to the removed member's Spotify account",
    );

    while (await remove()) assert.ok(calls < 500, "the purge finishes");
    assert.ok(calls > 2, `the purge took several calls: ${calls}`);
    assert.deepEqual(await scanPrefix(rig, listenerPrefix(member)), [], "every item of theirs is gone");
    assert.equal(await household.getListener(member), null);
  } finally {
    await rig.stop();
  }
});

async function scanPrefix(rig: CaptureRig, prefix: string) {
  const client = createDocumentClient({ region: "us-east-1", endpoint: rig.app.config.DYNAMODB_ENDPOINT });
  const out = await client.send(
    new ScanCommand({
      TableName: rig.app.config.TABLE_NAME,
      FilterExpression: "begins_with(pk, :p)",
      ExpressionAttributeValues: { ":p": prefix },
      ConsistentRead: true,
    }),
  );
  return (out.Items ?? []).map((i) => `${i.pk} ${i.sk}`);
}
