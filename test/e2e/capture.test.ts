import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Play, Track } from "#shared/domain/entities.ts";
import { bearer } from "#test/support/app.ts";
import { type CaptureRig, startCaptureRig } from "#test/support/capture.ts";
import { episode, localFile, track } from "#test/support/fake-spotify.ts";

/**
 * The acceptance session: the local runtime's playback loop against the fake Spotify over
 * HTTP, with skips, pauses, a seek, a repeat-one, a device change, an episode, an ad, a local
 * file, a private session — and injected 429, 401 and 500 — on a virtual clock.
 */

const S = 1000;
let rig: CaptureRig;
before(async () => {
  rig = await startCaptureRig();
});
after(() => rig.stop());

const A = track({ name: "A", duration_ms: 180 * S });
const B = track({ name: "B", duration_ms: 200 * S });
const C = track({ name: "C", duration_ms: 60 * S });
const E = episode({ name: "E", duration_ms: 600 * S });
const L = localFile({ name: "L", duration_ms: 120 * S });
const F = track({ name: "F (private)", duration_ms: 100 * S });

test("a scripted session produces exactly the expected plays, faults included", {
  timeout: 120_000,
}, async () => {
  const { fake, app } = rig;
  const laptop = { id: "laptop", name: "Laptop", type: "Computer" };
  rig.at(0, () => {
    fake.player.play(A, { device: laptop, context: { type: "album", uri: "spotify:album:x" } });
    fake.player.queue(B, C);
  });
  rig.at(20 * S, () => fake.faults.next(1, { status: 500 }));
  rig.at(40 * S, () => fake.player.pause());
  rig.at(60 * S, () => fake.player.resume());
  rig.at(100 * S, () => fake.player.seek(150 * S)); // A ends at 130 s, B starts
  rig.at(140 * S, () => fake.player.next()); // B skipped after 10 s, C starts
  rig.at(141 * S, () => fake.player.setRepeat("track"));
  rig.at(150 * S, () => fake.faults.next(1, { status: 429, retryAfterSeconds: 4 }));
  rig.at(215 * S, () => fake.player.transfer({ id: "phone", name: "Phone", type: "Smartphone" }));
  rig.at(230 * S, () => {
    fake.player.setRepeat("off");
    fake.player.queue(E);
  });
  rig.at(250 * S, () => fake.expireAccessTokens());
  rig.at(320 * S, () => {
    fake.player.queue(L);
    fake.player.startAd(15 * S);
  });
  rig.at(470 * S, () => {
    fake.player.privateSession(true);
    fake.player.play(F);
  });
  rig.at(530 * S, () => {
    fake.player.privateSession(false);
    fake.player.stop();
  });

  await rig.runUntil(30 * 60 * S);

  const token = await bearer(app);
  const res = await fetch(`${app.url}/plays?limit=50`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200);
  const plays = ((await res.json()) as { items: Play[] }).items.reverse();
  const t0 = Date.parse("2026-11-21T12:00:00.000Z");
  const got = plays.map((p) => ({
    name: p.name,
    kind: p.kind,
    start: (Date.parse(p.listened_at) - t0) / S,
    listened: p.listened_ms / S,
    counted: p.counted,
    device: p.device_name,
  }));
  const expected = [
    { name: "A", kind: "track", start: 0, listened: 110, counted: true, device: "Laptop" },
    { name: "B", kind: "track", start: 130, listened: 10, counted: false, device: "Laptop" },
    { name: "C", kind: "track", start: 140, listened: 60, counted: true, device: "Laptop" },
    { name: "C", kind: "track", start: 200, listened: 60, counted: true, device: "Laptop" },
    { name: "E", kind: "episode", start: 260, listened: 60, counted: true, device: "Phone" },
    { name: "L", kind: "local", start: 335, listened: 120, counted: true, device: "Phone" },
  ];
  assert.equal(got.length, expected.length, `plays: ${JSON.stringify(got, null, 1)}`);
  for (const [i, want] of expected.entries()) {
    const g = got[i];
    assert.ok(g, `play ${i}`);
    assert.equal(g.name, want.name, `play ${i} item`);
    assert.equal(g.kind, want.kind, `play ${i} kind`);
    assert.equal(g.counted, want.counted, `play ${i} counted`);
    assert.equal(g.device, want.device, `play ${i} device`);
    assert.ok(Math.abs(g.start - want.start) <= 2, `play ${i} start ${g.start} vs ${want.start}`);
    assert.ok(
      Math.abs(g.listened - want.listened) <= 2,
      `play ${i} listened ${g.listened} vs ${want.listened}`,
    );
  }

  const tracksRes = await fetch(`${app.url}/tracks?limit=50`, {
    headers: { authorization: `Bearer ${token}` },
  });
  const tracks = ((await tracksRes.json()) as { items: Track[] }).items;
  for (const t of tracks) {
    const countedPlays = plays.filter((p) => p.track_id === t.track_id && p.counted).length;
    assert.equal(t.listen_count, countedPlays, `${t.name}: listen_count equals its counted plays`);
  }
  assert.equal(tracks.find((t) => t.name === "C")?.listen_count, 2);
  assert.equal(tracks.find((t) => t.name === "B")?.skip_count, 1);

  // A backfill afterwards (Spotify's recently-played) finds every listen already stored.
  const backfill = await fetch(`${app.url}/spotify/poll/recently-played`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(backfill.status, 200);
  const bf = (await backfill.json()) as { fetched: number; inserted: number; matched: number };
  // A and C twice; Spotify does not list the 10 s skip, the episode or the local file.
  assert.equal(fake.history.length, 3, `recently-played lists ${fake.history.length}`);
  // The catch-up after the 429 already went through some of them (and matched them).
  assert.ok(bf.fetched <= 3, `recently-played after the cursor: ${bf.fetched}`);
  assert.equal(bf.inserted, 0, "the backfill adds nothing");
  assert.equal(plays.filter((p) => p.estimated).length, 0, "no listen was estimated: the loop saw them all");
  const after = await fetch(`${app.url}/plays?limit=50`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(((await after.json()) as { items: Play[] }).items.length, expected.length);

  const calls = fake.calls.filter((c) => c.path.startsWith("/v1/me/player"));
  assert.ok(
    calls.some((c) => c.status === 429) &&
      calls.some((c) => c.status === 500) &&
      calls.some((c) => c.status === 401),
  );
});
