import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { CACHE_KEYS } from "#shared/capture/loop.ts";
import { watchdog } from "#shared/capture/watchdog.ts";
import { startTestApp, type TestApp } from "#test/support/app.ts";
import { linkSpotify } from "#test/support/capture.ts";
import { appEnvFor, type FakeSpotify, startFakeSpotify, track } from "#test/support/fake-spotify.ts";

/**
 * The watchdog runs every minute of the day, a loop or not: while a loop holds the lease it
 * must cost one cache read, not a Spotify round trip (the loop is already looking).
 */

let app: TestApp;
let fake: FakeSpotify;

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

test("while a loop holds the lease the watchdog asks Spotify nothing", async () => {
  await app.deps.cache.set(CACHE_KEYS.lease, "some-loop", { ttlMs: 60_000 });
  const before = fake.calls.length;
  let starts = 0;
  const outcome = await watchdog(app.deps, async () => {
    starts++;
  });
  assert.equal(outcome, "running");
  assert.equal(fake.calls.length, before, "no Spotify call");
  assert.equal(starts, 0);
});

test("with the lease free and music playing it looks at Spotify and starts a loop", async () => {
  await app.deps.cache.del(CACHE_KEYS.lease);
  const before = fake.calls.length;
  let starts = 0;
  const outcome = await watchdog(app.deps, async () => {
    starts++;
  });
  assert.equal(outcome, "started");
  assert.ok(
    fake.calls.slice(before).some((c) => c.path === "/v1/me/player"),
    "the player was looked at",
  );
  assert.equal(starts, 1);
});
