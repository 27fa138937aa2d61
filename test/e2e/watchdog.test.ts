import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { cacheKeys } from "#shared/cache/keys.ts";
import type { LoopState } from "#shared/capture/loop.ts";
import { runPollTask } from "#shared/capture/runner.ts";
import { watchdog } from "#shared/capture/watchdog.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import { startTestApp, type TestApp } from "#test/support/app.ts";
import { linkSpotify } from "#test/support/capture.ts";
import { appEnvFor, type FakeSpotify, startFakeSpotify, track } from "#test/support/fake-spotify.ts";

/**
 * The watchdog runs every minute of the day, a loop or not. While a loop holds the lease it
 * must cost neither a Spotify round trip nor a cache read: the loop notes its lease on the
 * link item, which the watchdog reads anyway. The cache's lease still decides who starts.
 */

let app: TestApp;
let fake: FakeSpotify;
let starts = 0;
const run = () =>
  watchdog(app.deps, async () => {
    starts++;
  });
const spotifyCallsDuring = async <T>(fn: () => Promise<T>) => {
  const from = fake.calls.length;
  const out = await fn();
  return { out, calls: fake.calls.slice(from) };
};

before(async () => {
  fake = await startFakeSpotify({ now: () => (app ? app.deps.clock().getTime() : Date.now()) });
  app = await startTestApp(appEnvFor(fake));
  await linkSpotify(app.deps.store, fake, app.deps.clock());
  fake.player.play(track({ name: "Song", duration_ms: 200_000 }));
});
after(async () => {
  await app.close();
  await fake.stop();
});

test("while a loop lives the watchdog asks Spotify nothing; once it stopped, it looks again", async () => {
  // A loop's first poll takes the lease and notes it on the link.
  let state: LoopState | null = (await runPollTask(app.deps, { state: null })).state;
  assert.ok((await app.deps.store.getSpotifyLink())?.loop_until, "noted on the link");
  const live = await spotifyCallsDuring(run);
  assert.equal(live.out, "running");
  assert.deepEqual(live.calls, [], "no Spotify call while the loop lives");

  // Playback stops; the loop ends after its idle spell and lets go of the lease and the note.
  fake.player.stop();
  for (let i = 0; i < 200 && state; i++) {
    app.advance(3000);
    const out = await runPollTask(app.deps, { state });
    state = out.action === "stop" ? null : out.state;
  }
  assert.equal(state, null, "the loop stopped");
  assert.equal((await app.deps.store.getSpotifyLink())?.loop_until, null, "the note is gone");
  const idle = await spotifyCallsDuring(run);
  assert.equal(idle.out, "idle");
  assert.ok(
    idle.calls.some((c) => c.path === "/v1/me/player"),
    "nothing noted: the watchdog looks at the player",
  );
  assert.equal(starts, 0);
});

test("without a note the cache's lease still decides: a holder means no second loop", async () => {
  fake.player.play(track({ name: "Another", duration_ms: 200_000 }));
  await app.deps.cache.set(cacheKeys.lease(OWNER_ID), "a-loop-whose-note-was-lost", { ttlMs: 60_000 });
  assert.equal(await run(), "running");
  assert.equal(starts, 0);
  await app.deps.cache.del(cacheKeys.lease(OWNER_ID));
  const started = await spotifyCallsDuring(run);
  assert.equal(started.out, "started");
  assert.ok(started.calls.some((c) => c.path === "/v1/me/player"));
  assert.equal(starts, 1);
});
