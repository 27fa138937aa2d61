import assert from "node:assert/strict";
import { test } from "node:test";
import { JOB_BACKFILL, JOB_CATCH_UP } from "#shared/capture/backfill.ts";
import type { Play } from "#shared/domain/entities.ts";
import type { NowPlayingResponse } from "#shared/http/schemas.ts";
import { bearer } from "#test/support/app.ts";
import { type CaptureRig, type CaptureRigOptions, startCaptureRig } from "#test/support/capture.ts";
import { track } from "#test/support/fake-spotify.ts";

/**
 * A listener's real evening, through the local runtime (HTTP server + playback loop) and the
 * fake Spotify over HTTP on a virtual clock: the first minute after linking, listens after a
 * break, a resume mid-track, a listen that only the catch-up can recover, a long pause, a 429.
 * Every timeline asserts the stored plays and the now-playing JSON at sampled instants.
 */

const S = 1000;
const T0 = Date.parse("2026-11-21T12:00:00.000Z");

interface Got {
  name: string;
  start: number;
  listened: number;
  counted: boolean;
  estimated: boolean;
}

async function plays(rig: CaptureRig): Promise<Got[]> {
  const token = await bearer(rig.app);
  const res = await fetch(`${rig.app.url}/plays?limit=100`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(res.status, 200);
  return ((await res.json()) as { items: Play[] }).items.reverse().map((p) => ({
    name: p.name,
    start: (Date.parse(p.listened_at) - T0) / S,
    listened: p.listened_ms / S,
    counted: p.counted,
    estimated: p.estimated,
  }));
}

/** Each play as expected: same item, counted and estimated flags, start and listened time within 2 s. */
function assertPlays(got: Got[], want: Got[]) {
  assert.equal(got.length, want.length, `plays: ${JSON.stringify(got)}`);
  for (const [i, w] of want.entries()) {
    const g = got[i];
    assert.ok(g, `play ${i}`);
    assert.equal(g.name, w.name, `play ${i} item`);
    assert.equal(g.counted, w.counted, `play ${i} (${g.name}) counted`);
    assert.equal(g.estimated, w.estimated, `play ${i} (${g.name}) estimated`);
    assert.ok(Math.abs(g.start - w.start) <= 2, `play ${i} (${g.name}) start ${g.start} vs ${w.start}`);
    assert.ok(
      Math.abs(g.listened - w.listened) <= 2,
      `play ${i} (${g.name}) listened ${g.listened} vs ${w.listened}`,
    );
  }
}

async function nowPlaying(rig: CaptureRig): Promise<NowPlayingResponse> {
  const res = await fetch(`${rig.app.url}/spotify/now-playing`);
  assert.equal(res.status, 200);
  return (await res.json()) as NowPlayingResponse;
}

/** Runs `fn` with a fresh rig (its own table, fake Spotify and loop), stopped afterwards. */
async function withRig(opts: CaptureRigOptions, fn: (rig: CaptureRig) => Promise<void>) {
  const rig = await startCaptureRig(opts);
  try {
    await fn(rig);
  } finally {
    await rig.stop();
  }
}

const live = (name: string, start: number, listened: number, counted = true): Got => ({
  name,
  start,
  listened,
  counted,
  estimated: false,
});

test(
  "link, then play within 3 s: the callback starts the loop and the first song is recorded live",
  {
    timeout: 120_000,
  },
  () =>
    withRig({ linked: false }, async (rig) => {
      const { app, fake } = rig;
      const A = track({ name: "First song", duration_ms: 180 * S });
      // Not linked: the loop's watchdog finds nothing to do and sleeps for a minute.
      await rig.runUntil(0);
      const token = await bearer(app);
      const auth = await fetch(`${app.url}/spotify/authorize`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const { url } = (await auth.json()) as { url: string };
      const consent = await fetch(url, { redirect: "manual" });
      const back = new URL(consent.headers.get("location") ?? assert.fail("no redirect"));
      const linked = await fetch(`${app.url}/spotify/callback?${back.searchParams}`, {
        headers: { accept: "application/json" },
      });
      assert.equal(linked.status, 200);
      assert.equal(((await linked.json()) as { loop: string }).loop, "started");

      rig.at(2 * S, () => fake.player.play(A));
      rig.at(100 * S, () => fake.player.stop());
      await rig.runUntil(5 * S);
      const np = await nowPlaying(rig);
      assert.equal(np.state, "playing", "the card is right within 3 s of the first play");
      assert.equal(np.title, "First song");

      await rig.runUntil(200 * S);
      assertPlays(await plays(rig), [live("First song", 2, 98)]);
      // Recorded by the loop well before the watchdog's first minute would have come round.
      const firstPoll = fake.calls.find((c) => c.path === "/v1/me/player" && c.at >= T0 + 2 * S);
      assert.ok(firstPoll && firstPoll.at - (T0 + 2 * S) <= 3 * S, "the player was looked at within 3 s");
    }),
);

test("idle 25 s, then a 40 s listen: seen live, not left to the hourly job", { timeout: 120_000 }, () =>
  withRig({}, async (rig) => {
    const { fake } = rig;
    const A = track({ name: "A", duration_ms: 200 * S });
    const B = track({ name: "B", duration_ms: 200 * S });
    rig.at(0, () => fake.player.play(A));
    rig.at(60 * S, () => fake.player.stop());
    rig.at(85 * S, () => fake.player.play(B));
    rig.at(125 * S, () => fake.player.stop());
    await rig.runUntil(75 * S);
    assert.equal((await nowPlaying(rig)).state, "last_played");
    await rig.runUntil(100 * S);
    const np = await nowPlaying(rig);
    assert.equal(np.state, "playing");
    assert.equal(np.title, "B");
    await rig.runUntil(400 * S);
    assertPlays(await plays(rig), [live("A", 0, 60), live("B", 85, 40)]);
  }),
);

test(
  "a track resumed at 90 s and played 20 s is a 20 s skip, started at t − progress",
  {
    timeout: 120_000,
  },
  () =>
    withRig({}, async (rig) => {
      const { fake } = rig;
      const A = track({ name: "A", duration_ms: 240 * S });
      const B = track({ name: "B", duration_ms: 60 * S });
      rig.at(0, () => fake.player.play(B));
      // B ends at 60 s and stays in the player, paused at 0 (the desktop client does that).
      rig.at(110 * S, () => fake.player.play(A, { progressMs: 90 * S }));
      rig.at(130 * S, () => fake.player.stop());
      await rig.runUntil(120 * S);
      const np = await nowPlaying(rig);
      assert.equal(np.title, "A");
      assert.ok(Math.abs((np.progress_ms ?? 0) - 100 * S) <= 2 * S, `progress ${np.progress_ms}`);
      await rig.runUntil(400 * S);
      assertPlays(await plays(rig), [live("B", 0, 60), live("A", 20, 20, false)]);
    }),
);

test(
  "idle 10 minutes, then a 45 s listen between two watchdog looks: the catch-up at the next start stores it",
  {
    timeout: 180_000,
  },
  () =>
    withRig({}, async (rig) => {
      const { app, fake } = rig;
      const A = track({ name: "A", duration_ms: 100 * S });
      const B = track({ name: "B", duration_ms: 45 * S });
      const C = track({ name: "C", duration_ms: 200 * S });
      rig.at(0, () => fake.player.play(A));
      // A ends at 100 s, paused at 0; the loop ends after its paused window, the watchdog takes over.
      await rig.runUntil(1400 * S);
      const looks = fake.calls.filter((c) => c.path === "/v1/me/player").map((c) => c.at);
      const lastLook = Math.max(...looks);
      assert.ok(lastLook > T0 + 1300 * S, "the watchdog kept looking every minute");
      // Right after a look: B (45 s) plays in full and C follows, so the next look sees C.
      const bAt = lastLook - T0 + 62 * S;
      rig.at(bAt, () => {
        fake.player.play(B);
        fake.player.queue(C);
      });
      rig.at(bAt + 120 * S, () => fake.player.stop());
      await rig.runUntil(bAt + 50 * S);
      assert.equal(
        (await plays(rig)).length,
        1,
        "B ended between two watchdog looks; nothing recorded it yet",
      );
      await rig.runUntil(bAt + 400 * S);
      const got = await plays(rig);
      assertPlays(got, [
        live("A", 0, 100),
        { name: "B", start: bAt / S, listened: 45, counted: true, estimated: true },
        live("C", bAt / S + 45, 75),
      ]);
      const runs = await app.deps.store.listJobRuns(JOB_CATCH_UP, 10);
      assert.ok(
        runs.some((r) => r.ok && (r.result as { inserted?: number }).inserted === 1),
        "a catch-up run inserted B",
      );
    }),
);

test(
  "a 40 s listen alone long after the loop ended: the watchdog's next look stores it",
  {
    timeout: 180_000,
  },
  () =>
    withRig({}, async (rig) => {
      const { app, fake } = rig;
      const A = track({ name: "A", duration_ms: 60 * S });
      const B = track({ name: "B", duration_ms: 200 * S });
      rig.at(0, () => fake.player.play(A));
      rig.at(60 * S, () => fake.player.stop());
      await rig.runUntil(600 * S);
      const looks = fake.calls.filter((c) => c.path === "/v1/me/player").map((c) => c.at);
      const bAt = Math.max(...looks) - T0 + 2 * S;
      rig.at(bAt, () => fake.player.play(B));
      rig.at(bAt + 40 * S, () => fake.player.stop());
      // The next look (58 s after B started) sees nothing playing, but recently-played lists B.
      await rig.runUntil(bAt + 70 * S);
      const got = await plays(rig);
      assert.equal(got.length, 2, JSON.stringify(got));
      assert.equal(got[1]?.name, "B");
      assert.equal(got[1]?.estimated, true);
      // Spotify says when it ended, not how much was heard: stored as a full play ending then.
      assert.ok(Math.abs((got[1]?.start ?? 0) - (bAt + 40 * S - 200 * S) / S) <= 2);
      const runs = await app.deps.store.listJobRuns(JOB_BACKFILL, 10);
      assert.ok(
        runs.some((r) => (r.result as { trigger?: string; inserted?: number }).trigger === "watchdog"),
        "stored by the watchdog's backfill, not the hourly job",
      );
    }),
);

test(
  "pause 90 s, then resume: the card is right within 5 s of the resume, one listen",
  {
    timeout: 120_000,
  },
  () =>
    withRig({}, async (rig) => {
      const { fake } = rig;
      const A = track({ name: "A", duration_ms: 300 * S });
      rig.at(0, () => fake.player.play(A));
      rig.at(60 * S, () => fake.player.pause());
      rig.at(150 * S, () => fake.player.resume());
      rig.at(250 * S, () => fake.player.stop());
      await rig.runUntil(100 * S);
      let np = await nowPlaying(rig);
      assert.equal(np.state, "paused");
      await rig.runUntil(155 * S);
      np = await nowPlaying(rig);
      assert.equal(np.state, "playing", "right within 5 s of the resume");
      assert.ok(Math.abs((np.progress_ms ?? 0) - 65 * S) <= 2 * S, `progress ${np.progress_ms}`);
      await rig.runUntil(500 * S);
      assertPlays(await plays(rig), [live("A", 0, 160)]);
    }),
);

test(
  "a 429 with Retry-After: 20 during a listen: honoured, and a skip inside the wait is placed right",
  {
    timeout: 120_000,
  },
  () =>
    withRig({}, async (rig) => {
      const { fake } = rig;
      const A = track({ name: "A", duration_ms: 200 * S });
      const B = track({ name: "B", duration_ms: 60 * S });
      rig.at(0, () => fake.player.play(A));
      rig.at(30 * S, () => fake.faults.next(1, { status: 429, retryAfterSeconds: 20 }));
      rig.at(40 * S, () => fake.player.skipTo(B));
      await rig.runUntil(45 * S);
      // During the wait the card still shows what was last seen; nothing is lost.
      assert.equal((await nowPlaying(rig)).title, "A");
      await rig.runUntil(60 * S);
      assert.equal((await nowPlaying(rig)).title, "B");
      await rig.runUntil(400 * S);
      const refused = fake.calls.find((c) => c.status === 429);
      assert.ok(refused, "the 429 was served");
      const during = fake.calls.filter(
        (c) => c.path.startsWith("/v1/me/player") && c.at > refused.at && c.at < refused.at + 20 * S,
      );
      assert.equal(during.length, 0, "no call to the player inside Retry-After");
      assertPlays(await plays(rig), [live("A", 0, 40), live("B", 40, 60)]);
    }),
);

test(
  "a manual poll while no loop runs starts one from its own state: one listen, followed live",
  {
    timeout: 120_000,
  },
  () =>
    withRig({}, async (rig) => {
      const { app, fake } = rig;
      const A = track({ name: "A", duration_ms: 120 * S });
      rig.at(5 * S, () => fake.player.play(A));
      rig.at(90 * S, () => fake.player.stop());
      // Nothing played at 0: the watchdog looked and sleeps until 60 s.
      await rig.runUntil(10 * S);
      const token = await bearer(app);
      const res = await fetch(`${app.url}/spotify/poll/current-playback`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { loop: string; now_playing: { item: { name: string } } | null };
      assert.equal(body.loop, "started");
      assert.equal(body.now_playing?.item.name, "A");
      // Once the loop has taken over, a second poll only reports.
      await rig.runUntil(12 * S);
      const again = await fetch(`${app.url}/spotify/poll/current-playback`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(((await again.json()) as { loop: string }).loop, "running", "a second poll only reports");
      await rig.runUntil(300 * S);
      assertPlays(await plays(rig), [live("A", 5, 85)]);
    }),
);
