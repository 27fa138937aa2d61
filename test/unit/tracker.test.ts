import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  DEFAULT_TRACKER_OPTIONS,
  type FinishedListen,
  flush,
  initialTrackerState,
  type StepResult,
  step,
  type TrackerInput,
  type TrackerState,
} from "#shared/domain/tracker.ts";
import type { Observation, PlayableItem } from "#shared/spotify/types.ts";

const T0 = Date.parse("2026-11-21T20:00:00.000Z");
const S = 1000;

function item(key: string, durationMs = 200 * S, kind: PlayableItem["kind"] = "track"): PlayableItem {
  return {
    key,
    kind,
    name: `Song ${key}`,
    uri: kind === "local" ? `spotify:local:A:B:${key}:200` : `spotify:${kind}:${key}`,
    artists: [{ id: kind === "local" ? null : `ar-${key}`, name: "Artist" }],
    album: null,
    duration_ms: durationMs,
  };
}

const laptop = { id: "d1", name: "Laptop", type: "Computer" };
const phone = { id: "d2", name: "Phone", type: "Smartphone" };

function playing(
  it: PlayableItem,
  progressMs: number,
  extra: Partial<Extract<Observation, { type: "item" }>> = {},
): Observation {
  return {
    type: "item",
    item: it,
    progress_ms: progressMs,
    is_playing: true,
    timestamp: null,
    device: laptop,
    context: { type: "album", uri: "spotify:album:x" },
    shuffle_state: false,
    repeat_state: "off",
    ...extra,
  };
}
const paused = (it: PlayableItem, progressMs: number, timestamp: number | null = null) =>
  playing(it, progressMs, { is_playing: false, timestamp });

/** Feeds (time offset ms, input) pairs through the tracker and collects everything. */
function run(script: [number, Observation | TrackerInput][], state: TrackerState = initialTrackerState()) {
  const finished: FinishedListen[] = [];
  const results: StepResult[] = [];
  for (const [at, what] of script) {
    const input: TrackerInput = "type" in what ? { obs: what } : what;
    const r = step(state, input, T0 + at);
    state = r.state;
    finished.push(...r.finished);
    results.push(r);
  }
  return { state, finished, results, last: results.at(-1) };
}

const startOf = (f: FinishedListen | undefined) => (f ? Date.parse(f.listened_at) - T0 : Number.NaN);
const endOf = (f: FinishedListen | undefined) => (f ? Date.parse(f.ended_at) - T0 : Number.NaN);

describe("a listen", () => {
  test("starts at first sight minus progress, and listened time follows progress", () => {
    const a = item("a");
    const b = item("b");
    const { finished } = run([
      [10 * S, playing(a, 1_500)],
      [12 * S, playing(a, 3_500)],
      [14 * S, playing(a, 5_500)],
      [100 * S, playing(a, 91_500)],
      [102 * S, playing(b, 1_000)],
    ]);
    assert.equal(finished.length, 1);
    const f = finished[0];
    assert.equal(f?.item.key, "a");
    assert.equal(startOf(f), 8_500, "backdated by the progress at first sight");
    // a played until b started (102 s − 1 s): 92.5 s of listening
    assert.equal(f?.listened_ms, 92_500);
    assert.equal(endOf(f), 101_000);
    assert.equal(f?.counted, true);
  });

  test("first sight credits only what the evidence supports; the start stays t − progress", () => {
    const a = item("a", 240 * S);
    const b = item("b", 240 * S);
    // Resumed at 90 s from another session: Spotify's timestamp says when; 20 s heard, a skip.
    const resumed = run([
      [100 * S, playing(a, 92 * S, { timestamp: T0 + 98 * S })],
      [118 * S, playing(a, 110 * S)],
      [120 * S, playing(b, 2 * S)],
    ]).finished[0];
    assert.equal(startOf(resumed), 8 * S, "backdated by the whole progress");
    assert.equal(resumed?.listened_ms, 20 * S);
    assert.equal(resumed?.counted, false);

    // No timestamp, but the previous look (2 s ago) saw another item: at most 2 s were heard.
    const jumped = run([
      [0, playing(b, 0)],
      [40 * S, playing(b, 40 * S)],
      [42 * S, playing(a, 90 * S)],
      [62 * S, playing(a, 110 * S)],
      [64 * S, { type: "nothing" }],
    ]).finished[1];
    assert.equal(jumped?.item.key, "a");
    assert.equal(jumped?.listened_ms, 22 * S);

    // Started from the top: the timestamp is the start, the whole progress was heard.
    const fresh = run([
      [10 * S, playing(a, 9 * S, { timestamp: T0 + 1 * S })],
      [40 * S, playing(a, 39 * S)],
      [42 * S, { type: "nothing" }],
    ]).finished[0];
    assert.equal(fresh?.listened_ms, 39 * S);

    // First seen paused mid-track with no earlier look: nothing of it is known to be heard.
    const pausedOnly = run([
      [0, paused(a, 90 * S, T0 - 3600 * S)],
      [3 * S, paused(a, 90 * S, T0 - 3600 * S)],
      [6 * S, { type: "nothing" }],
    ]);
    assert.equal(pausedOnly.finished.length, 0, "no listen is invented");

    // A timestamp ahead of our clock (skew) does not zero the credit.
    const skew = run([
      [10 * S, playing(a, 5 * S, { timestamp: T0 + 11 * S })],
      [40 * S, playing(a, 35 * S)],
      [42 * S, { type: "nothing" }],
    ]).finished[0];
    assert.equal(skew?.listened_ms, 35 * S);
  });

  test("pauses add nothing and do not split it", () => {
    const a = item("a", 120 * S);
    const { finished } = run([
      [0, playing(a, 0)],
      [20 * S, playing(a, 20 * S)],
      [22 * S, paused(a, 21 * S, T0 + 21 * S)],
      [300 * S, paused(a, 21 * S)],
      [302 * S, playing(a, 22 * S)],
      [400 * S, playing(a, 120 * S - 1)],
      [402 * S, { type: "nothing" }],
    ]);
    assert.equal(finished.length, 1);
    assert.equal(finished[0]?.listened_ms, 120 * S - 1);
  });

  test("a seek forward or back (not to the start) stays one listen; credit is the time it played", () => {
    const a = item("a", 300 * S);
    const { finished, results } = run([
      [0, playing(a, 0)],
      [2 * S, playing(a, 2 * S)],
      [4 * S, playing(a, 150 * S)], // jumped ahead while playing
      [6 * S, playing(a, 152 * S)],
      [8 * S, playing(a, 40 * S)], // jumped back, not to the start
      [10 * S, playing(a, 42 * S)],
      [12 * S, { type: "nothing" }],
    ]);
    assert.equal(finished.length, 1);
    assert.equal(finished[0]?.listened_ms, 10 * S);
    assert.ok(results[2]?.snapshot, "a seek rewrites the snapshot");
    assert.equal(results[3]?.snapshot, undefined, "plain progress does not");
  });

  test("repeat-one: a jump back to the start ends the listen and begins another", () => {
    const a = item("a", 60 * S);
    const { finished } = run([
      [0, playing(a, 0)],
      [58 * S, playing(a, 58 * S)],
      [60 * S, playing(a, 1_200, { repeat_state: "track" })],
      [62 * S, playing(a, 3_200)],
      [120 * S, playing(a, 61 * S - 1)],
      [121 * S, { type: "nothing" }],
    ]);
    assert.equal(finished.length, 2);
    assert.equal(startOf(finished[0]), 0);
    assert.equal(finished[0]?.listened_ms, 58 * S + 800, "credited up to the restart (60 s − 1.2 s)");
    assert.equal(startOf(finished[1]), 58_800);
    assert.ok(finished.every((f) => f.counted));
  });

  test("'play it again' after a short skip: two listens, the first a skip", () => {
    const a = item("a");
    const { finished } = run([
      [0, playing(a, 0)],
      [8 * S, playing(a, 8 * S)],
      [10 * S, playing(a, 500)],
      [100 * S, playing(a, 90_500)],
      [101 * S, { type: "nothing" }],
    ]);
    assert.deepEqual(
      finished.map((f) => [f.counted, startOf(f)]),
      [
        [false, 0],
        [true, 9_500],
      ],
    );
    assert.equal(finished[0]?.listened_ms, 9_500);
  });

  test("a repeat wrap seen late (after a long back-off) is still a new listen", () => {
    const a = item("a", 60 * S);
    const { finished } = run([
      [0, playing(a, 0)],
      [50 * S, playing(a, 50 * S)],
      [75 * S, playing(a, 15 * S)], // ended at 60 s, restarted, 15 s in
      [76 * S, { type: "nothing" }],
    ]);
    assert.equal(finished.length, 2);
    assert.equal(finished[0]?.listened_ms, 60 * S);
    assert.equal(startOf(finished[1]), 60 * S);
  });

  test("a device change keeps the listen (recorded with the device it started on)", () => {
    const a = item("a");
    const { finished, results } = run([
      [0, playing(a, 0)],
      [30 * S, playing(a, 30 * S)],
      [32 * S, playing(a, 31 * S, { device: phone })],
      [60 * S, playing(a, 59 * S, { device: phone })],
      [61 * S, { type: "nothing" }],
    ]);
    assert.equal(finished.length, 1);
    assert.equal(finished[0]?.device?.name, "Laptop");
    assert.ok(results[2]?.snapshot, "the device change rewrites the snapshot");
  });
});

describe("item kinds", () => {
  test("episodes and local files are listens with their kind", () => {
    const ep = item("ep", 3600 * S, "episode");
    const local = item("spotify:local:A:B:x:200", 200 * S, "local");
    const { finished } = run([
      [0, playing(ep, 0)],
      [600 * S, playing(ep, 600 * S)],
      [602 * S, playing(local, 1_000)],
      [700 * S, playing(local, 99 * S)],
      [702 * S, { type: "nothing" }],
    ]);
    assert.deepEqual(
      finished.map((f) => [f.item.kind, f.counted]),
      [
        ["episode", true],
        ["local", true],
      ],
    );
  });

  test("an ad ends the current listen and is not a listen", () => {
    const a = item("a");
    const { finished, results } = run([
      [0, playing(a, 0)],
      [40 * S, playing(a, 40 * S)],
      [42 * S, { type: "unsupported", reason: "ad" }],
      [44 * S, { type: "unsupported", reason: "ad" }],
    ]);
    assert.equal(finished.length, 1);
    assert.equal(finished[0]?.listened_ms, 42 * S);
    assert.equal(results[2]?.nextDelaySeconds, 2, "ads keep the playing cadence");
  });

  test("nothing playing, private sessions and item: null record nothing", () => {
    const { finished, state } = run([
      [0, { type: "nothing" }],
      [5 * S, { type: "private" }],
      [20 * S, { type: "nothing" }],
    ]);
    assert.deepEqual(finished, []);
    assert.equal(state.open, null);
  });

  test("a private session ends the listen that was open", () => {
    const a = item("a");
    const { finished } = run([
      [0, playing(a, 0)],
      [40 * S, playing(a, 40 * S)],
      [42 * S, { type: "private" }],
    ]);
    assert.equal(finished.length, 1);
    assert.equal(finished[0]?.listened_ms, 40 * S);
  });
});

describe("counting", () => {
  test("counts at min(30 s, half the duration)", () => {
    const short = item("short", 40 * S);
    const long = item("long", 600 * S);
    const cases: [PlayableItem, number, boolean][] = [
      [short, 19 * S, false],
      [short, 20 * S, true],
      [long, 29 * S, false],
      [long, 30 * S, true],
    ];
    for (const [it, ms, counted] of cases) {
      const { finished } = run([
        [0, playing(it, 0)],
        [ms, paused(it, ms, T0 + ms)],
        [ms + 5 * S, { type: "nothing" }],
      ]);
      assert.equal(finished[0]?.counted, counted, `${it.key} after ${ms} ms`);
      assert.equal(finished[0]?.listened_ms, ms);
    }
  });

  test("listened time never exceeds the duration", () => {
    const a = item("a", 10 * S);
    const { finished } = run([
      [0, playing(a, 9_000)],
      [5 * S, playing(a, 10 * S)],
      [9 * S, { type: "nothing" }],
    ]);
    assert.ok((finished[0]?.listened_ms ?? Infinity) <= 10 * S);
  });
});

describe("cadence", () => {
  test("1–2 s while playing, never past the predicted end", () => {
    const a = item("a", 100 * S);
    const r = (p: number) => step(initialTrackerState(), { obs: playing(a, p) }, T0).nextDelaySeconds;
    assert.equal(r(0), 2);
    assert.equal(r(98_500), 1);
    assert.equal(r(99_900), 1);
  });

  test("keeps looking every few seconds while paused, then ends the loop finishing the open listen", () => {
    const a = item("a");
    let state = run([[0, playing(a, 0)]]).state;
    const delays: number[] = [];
    let now = 0;
    let result: StepResult | undefined;
    for (let i = 0; i < 1000 && !result?.stop; i++) {
      now += 1000 * (delays.at(-1) ?? 2);
      result = step(state, { obs: paused(a, 2 * S, T0 + 2 * S) }, T0 + now);
      state = result.state;
      delays.push(result.nextDelaySeconds);
    }
    // No slow polls inside a live loop: a resume is seen within seconds (the saving is ending it).
    assert.ok(
      delays.every((d) => d >= 1 && d <= 5),
      `paused cadence ${[...new Set(delays)].join(",")} s`,
    );
    assert.equal(result?.stop, true);
    assert.equal(result?.stopReason, "idle");
    assert.equal(result?.finished.length, 1, "the paused listen is finished, not lost");
    assert.equal(result?.finished[0]?.listened_ms, 2 * S);
    assert.equal(endOf(result?.finished[0]), 2 * S, "it ended when it was paused");
    assert.ok(
      now >= DEFAULT_TRACKER_OPTIONS.pausedEndMs,
      "a pause shorter than pausedEndMs never splits a listen",
    );
  });

  test("with nothing in the player the loop ends sooner (idle costs money)", () => {
    let state = initialTrackerState();
    let now = 0;
    let result: StepResult | undefined;
    while (!result?.stop && now < 3600 * S) {
      result = step(state, { obs: { type: "nothing" } }, T0 + now);
      state = result.state;
      now += result.nextDelaySeconds * S;
    }
    assert.equal(result?.stop, true);
    assert.ok(now - (result?.nextDelaySeconds ?? 0) * S >= DEFAULT_TRACKER_OPTIONS.idleEndMs);
    assert.ok(now <= DEFAULT_TRACKER_OPTIONS.pausedEndMs, `ended after ${now / S} s`);
  });

  test("a 429 stretches the wait to Retry-After and keeps the open listen", () => {
    const a = item("a");
    const { state } = run([[0, playing(a, 0)]]);
    const r = step(
      state,
      { fault: { type: "rate_limited", retryAfterSeconds: 3600, reason: "QUOTA_EXCEEDED" } },
      T0 + 2 * S,
    );
    assert.equal(r.nextDelaySeconds, 3600);
    assert.equal(r.stop, false);
    assert.equal(r.state.open?.item.key, "a");
    assert.equal(r.state.quota_until, T0 + 2 * S + 3600 * S);
  });

  test("transient errors back off and lose nothing; a revoked link finishes and stops", () => {
    const a = item("a");
    let { state } = run([[0, playing(a, 0)]]);
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = step(
        state,
        { fault: { type: "unavailable", message: "500", status: 500 } },
        T0 + (i + 1) * S,
      );
      state = r.state;
      delays.push(r.nextDelaySeconds);
      assert.equal(r.finished.length, 0);
    }
    // Retried within seconds, capped at ~10 s while the loop lives.
    assert.deepEqual(delays, [2, 5, 10, 10]);
    const back = step(state, { obs: playing(a, 20 * S) }, T0 + 20 * S);
    assert.equal(back.state.consecutive_errors, 0);
    assert.equal(back.state.open?.listened_ms, 20 * S, "the gap is credited from progress");
    const revoked = step(back.state, { fault: { type: "revoked", message: "invalid_grant" } }, T0 + 22 * S);
    assert.equal(revoked.stop, true);
    assert.equal(revoked.finished[0]?.item.key, "a");
  });

  test("flush finishes the open listen", () => {
    const a = item("a");
    const { state } = run([
      [0, playing(a, 0)],
      [40 * S, playing(a, 40 * S)],
    ]);
    const out = flush(state);
    assert.equal(out.length, 1);
    assert.equal(out[0]?.listened_ms, 40 * S);
    assert.deepEqual(flush(initialTrackerState()), []);
  });

  test("the snapshot is written only when something changes", () => {
    const a = item("a");
    const { results } = run([
      [0, playing(a, 0)],
      [2 * S, playing(a, 2 * S)],
      [4 * S, paused(a, 3 * S)],
      [9 * S, paused(a, 3 * S)],
      [14 * S, playing(a, 4 * S)],
      [16 * S, { type: "nothing" }],
      [21 * S, { type: "nothing" }],
    ]);
    assert.deepEqual(
      results.map((r) => Boolean(r.snapshot)),
      [true, false, true, false, true, true, false],
    );
  });

  test("state survives a JSON round trip (it rides in the Step Functions payload)", () => {
    const a = item("a");
    const { state } = run([[0, playing(a, 0)]]);
    const copy = JSON.parse(JSON.stringify(state)) as TrackerState;
    const x = step(copy, { obs: playing(a, 2 * S) }, T0 + 2 * S);
    const y = step(state, { obs: playing(a, 2 * S) }, T0 + 2 * S);
    assert.deepEqual(x, y);
    assert.ok(JSON.stringify(state).length < 4096);
  });
});

test("nothing heard is not a listen: the last item left paused at 0 when the context ends", () => {
  const a = item("a", 30 * S);
  const { finished } = run([
    [0, playing(a, 0)],
    [28 * S, playing(a, 28 * S)],
    [31 * S, paused(a, 0, T0 + 30 * S)],
    [36 * S, paused(a, 0)],
    [700 * S, paused(a, 0)],
  ]);
  assert.equal(finished.length, 1);
  assert.equal(finished[0]?.listened_ms, 30 * S);
});
