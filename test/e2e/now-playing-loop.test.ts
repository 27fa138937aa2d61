import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { NowPlayingResponse } from "#shared/http/schemas.ts";
import { type CaptureRig, startCaptureRig } from "#test/support/capture.ts";
import { track } from "#test/support/fake-spotify.ts";
import { checkSvg } from "#test/support/svg-check.ts";

/**
 * The now-playing routes fed by the real playback loop against the fake Spotify: the loop
 * writes the snapshot only when the player changes, readers extrapolate the progress, and a
 * page view never reaches the Spotify API.
 */

const S = 1000;
let rig: CaptureRig;
before(async () => {
  rig = await startCaptureRig();
});
after(() => rig.stop());

const A = track({
  name: "Song A",
  duration_ms: 180 * S,
  album: { name: "Album A" },
  artists: [{ name: "Band" }],
});
const B = track({ name: "Song B", duration_ms: 100 * S });

test("playing, paused, next item, stopped: the JSON and the card follow the loop's snapshot", {
  timeout: 60_000,
}, async () => {
  const { app, fake } = rig;
  const nowPlaying = async () =>
    (await (await fetch(`${app.url}/spotify/now-playing`)).json()) as NowPlayingResponse;
  rig.at(0, () => fake.player.play(A, { device: { id: "lap", name: "Laptop", type: "Computer" } }));
  rig.at(40 * S, () => fake.player.pause());
  rig.at(60 * S, () => {
    fake.player.resume();
    fake.player.queue(B);
  });
  rig.at(250 * S, () => fake.player.stop());

  await rig.runUntil(20 * S);
  let body = await nowPlaying();
  assert.equal(body.state, "playing");
  assert.equal(body.title, "Song A");
  assert.deepEqual(body.artists, ["Band"]);
  assert.equal(body.album, "Album A");
  assert.equal(body.device_type, "Computer");
  assert.match(body.album_art ?? "", /\/img\/.+-64\.png$/, "the smallest image of at least 64 px");
  assert.ok(Math.abs((body.progress_ms ?? 0) - 20 * S) <= 1 * S, `progress ${body.progress_ms}`);
  // Written once when the track started, not at every 2-second tick.
  const firstObserved = body.observed_at;
  assert.ok(firstObserved && Date.parse(firstObserved) - (Date.parse(body.fetched_at) - 20 * S) < 3 * S);

  const apiBefore = fake.calls.filter((c) => !c.path.startsWith("/img/")).length;
  const card = await fetch(`${app.url}/spotify/now-playing.svg?theme=dark`);
  assert.equal(card.status, 200);
  const svg = await card.text();
  const { texts } = checkSvg(svg);
  assert.ok(texts.some((t) => t.text === "Song A"));
  assert.ok(
    texts.some((t) => t.text === "0:20"),
    texts.map((t) => t.text).join("|"),
  );
  assert.match(svg, /href="data:image\/png;base64,/);
  await fetch(`${app.url}/spotify/now-playing`);
  assert.equal(fake.calls.filter((c) => !c.path.startsWith("/img/")).length, apiBefore, "no Spotify call");

  await rig.runUntil(30 * S);
  assert.equal((await nowPlaying()).observed_at, firstObserved, "no rewrite while nothing changes");

  await rig.runUntil(55 * S);
  body = await nowPlaying();
  assert.equal(body.state, "paused");
  assert.ok(Math.abs((body.progress_ms ?? 0) - 40 * S) <= 2 * S, `frozen near 40 s: ${body.progress_ms}`);

  await rig.runUntil(230 * S); // A resumed at 60 s with 140 s left, so B started at 200 s
  body = await nowPlaying();
  assert.equal(body.state, "playing");
  assert.equal(body.title, "Song B");

  await rig.runUntil(300 * S);
  body = await nowPlaying();
  assert.equal(body.state, "last_played", "stopped: the newest stored play");
  assert.equal(body.title, "Song B");
  assert.equal(body.is_playing, false);
  assert.ok(body.played_at);
});
