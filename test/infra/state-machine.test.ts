/**
 * The SYNTHESIZED playback state machine, run by aws-local-stepfunctions against the real tick:
 * the Poll task calls `runPollTask` (DynamoDB Local, a memory cache, the fake Spotify over HTTP),
 * the Handover task captures its StartExecution input, and every Wait takes 0 real ms while it
 * moves one virtual clock (Spotify, cache, tick) by the seconds the Wait asked for.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import type { CfnFunction } from "aws-cdk-lib/aws-lambda";
import type { CfnStateMachine } from "aws-cdk-lib/aws-stepfunctions";
import { type RunOptions, StateMachine, type StateMachineDefinition } from "aws-local-stepfunctions";
import { PLAYBACK_STATES, placeholderArn, stateMachineDefinitionOf } from "#infra/cdk/playback-loop.ts";
import { HoardifyStack } from "#infra/cdk/stack.ts";
import { cacheKeys } from "#shared/cache/keys.ts";
import { createMemoryCache } from "#shared/cache/memory.ts";
import {
  LOOP_JOB,
  type PollTaskInput,
  type PollTaskOutput,
  type ReleaseTaskInput,
  runPollTask,
  runReleaseTask,
} from "#shared/capture/runner.ts";
import { watchdog } from "#shared/capture/watchdog.ts";
import { loadConfig } from "#shared/config.ts";
import { buildDeps, type Deps } from "#shared/deps.ts";
import type { Play } from "#shared/domain/entities.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import { DEFAULT_TRACKER_OPTIONS } from "#shared/domain/tracker.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import { TEST_DEPLOY_SETTINGS } from "#test/support/deploy.ts";
import {
  appEnvFor,
  DEFAULT_SCOPE,
  type FakeSpotify,
  type PlayerDebugState,
  type SpotifyTrack,
  startFakeSpotify,
  track,
} from "#test/support/fake-spotify.ts";
import { dynamoEndpoint, uniqueTableName } from "#test/support/services.ts";

process.env.POWERTOOLS_LOG_LEVEL ??= "SILENT";

type Overrides = NonNullable<RunOptions["overrides"]>;
type JsonValue = Parameters<StateMachine["run"]>[0];
type EventLog = Awaited<ReturnType<ReturnType<StateMachine["run"]>["eventLogs"]["next"]>>["value"];

const T0 = Date.parse("2026-11-21T12:00:00.000Z");
const S = 1000;

// ------------------------------------------------------------------ the synthesized machine
const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "hoardify-sfn-"));
after(() => fs.rmSync(outdir, { recursive: true, force: true }));

let definition: StateMachineDefinition;
let pollArn: string;
let selfArn: string;
let machine: StateMachine;

before(() => {
  // No esbuild: the definition does not depend on the bundles.
  const app = new App({ outdir, context: { "aws:cdk:bundling-stacks": [], ...TEST_DEPLOY_SETTINGS } });
  const stack = new HoardifyStack(app, "Hoardify");
  const template = Template.fromStack(stack).toJSON();
  definition = stateMachineDefinitionOf(template) as unknown as StateMachineDefinition;
  pollArn = placeholderArn(template, stack.getLogicalId(stack.pollFunction.node.defaultChild as CfnFunction));
  selfArn = placeholderArn(
    template,
    stack.getLogicalId(stack.playbackLoop.stateMachine.node.defaultChild as CfnStateMachine),
  );
  machine = new StateMachine(definition);
});

test("the Poll task invokes the poll-loop function with the state, its listener and the execution start", () => {
  const poll = definition.States[PLAYBACK_STATES.poll] as unknown as Record<string, unknown>;
  assert.equal(poll.Resource, pollArn);
  assert.deepEqual(poll.Parameters, {
    "state.$": "$.state",
    "listener.$": "$.listener",
    "execution_started_at.$": "$$.Execution.StartTime",
  });
  assert.match(selfArn, /:stateMachine:Hoardify-PlaybackLoop$/);
});

// ------------------------------------------------------------------ a world and its clock
interface World {
  fake: FakeSpotify;
  deps: Deps;
  now(): number;
  /** Runs `action` when the virtual clock passes `atMs` (exactly at that instant). */
  at(atMs: number, action: () => void): void;
  advance(ms: number): void;
}

const fakes: FakeSpotify[] = [];
after(() => Promise.all(fakes.map((f) => f.stop())));

async function world(): Promise<World> {
  let nowMs = T0;
  const now = () => nowMs;
  const fake = await startFakeSpotify({ now });
  fakes.push(fake);
  const endpoint = await dynamoEndpoint();
  const config = loadConfig({
    TABLE_NAME: uniqueTableName("sfn"),
    DYNAMODB_ENDPOINT: endpoint,
    ...appEnvFor(fake),
  });
  await ensureTable(createDocumentClient({ region: config.AWS_REGION, endpoint }), config.TABLE_NAME);
  const deps = await buildDeps(config, { cache: createMemoryCache({ now }), clock: () => new Date(nowMs) });
  await deps.store.saveSpotifyLink({
    refresh_token: fake.issueTokens().refresh_token,
    scope: DEFAULT_SCOPE,
    linked_at: new Date(T0).toISOString(),
    user_id: "fakeuser",
    display_name: "Fake User",
    needs_reauth: false,
    reauth_reason: null,
  });
  const script: { at: number; action: () => void }[] = [];
  return {
    fake,
    deps,
    now,
    at: (atMs, action) => {
      script.push({ at: atMs, action });
      script.sort((a, b) => a.at - b.at);
    },
    advance: (ms) => {
      const target = nowMs + ms;
      for (let next = script[0]; next && next.at <= target; next = script[0]) {
        script.shift();
        nowMs = Math.max(nowMs, next.at);
        next.action();
      }
      nowMs = target;
    },
  };
}

// ------------------------------------------------------------------ running executions
interface ExecutionRecord {
  /** Virtual time the execution started. */
  startedAt: number;
  polls: { at: number; output: PollTaskOutput }[];
  /** Every Wait: the seconds it asked for and what the player was doing then. */
  waits: { at: number; seconds: number; current: PlayerDebugState["current"] }[];
  /** The Release task's input, when a Catch ran it. */
  release: ReleaseTaskInput | null;
  /** The Handover task's parameters (StartExecution request), when it ran. */
  handover: { StateMachineArn: unknown; Input: unknown } | null;
  events: EventLog[];
  output: JsonValue;
}

async function runExecution(
  w: World,
  input: JsonValue,
  afterPoll?: (rec: ExecutionRecord) => Promise<void>,
  /** Throw instead of polling on this (1-based) Poll, as a crashed or timed-out Lambda would. */
  failPoll?: number,
): Promise<ExecutionRecord> {
  const rec: ExecutionRecord = {
    startedAt: w.now(),
    polls: [],
    waits: [],
    handover: null,
    release: null,
    events: [],
    output: null,
  };
  let attempts = 0;
  const realStart = Date.now();
  let last: PollTaskOutput | undefined;
  const overrides: Overrides = {
    taskResourceLocalHandlers: {
      [PLAYBACK_STATES.poll]: async (payload) => {
        const p = payload as unknown as PollTaskInput;
        // aws-local-stepfunctions stamps $$.Execution.StartTime with the real clock (its context
        // option cannot override it): carry it over to the virtual one.
        const real = Date.parse(p.execution_started_at ?? "");
        assert.ok(real >= realStart - 5 && real <= Date.now(), `StartTime ${p.execution_started_at}`);
        const startedAt = new Date(rec.startedAt + (real - realStart)).toISOString();
        if (++attempts === failPoll) throw new Error("Task timed out after 20.00 seconds");
        last = await runPollTask(w.deps, { ...p, execution_started_at: startedAt });
        rec.polls.push({ at: w.now(), output: last });
        await afterPoll?.(rec);
        // What Lambda would hand back: JSON.
        return JSON.parse(JSON.stringify(last)) as JsonValue;
      },
      [PLAYBACK_STATES.release]: async (payload) => {
        rec.release = payload as unknown as ReleaseTaskInput;
        return (await runReleaseTask(w.deps, rec.release)) as unknown as JsonValue;
      },
      [PLAYBACK_STATES.handover]: (params) => {
        rec.handover = params as unknown as ExecutionRecord["handover"];
        return { ExecutionArn: `${selfArn.replace(":stateMachine:", ":express:")}:next`, StartDate: w.now() };
      },
    },
    // Read when the Wait state is entered: 0 real ms, and the virtual clock moves by what
    // SecondsPath ($.nextDelaySeconds of the Poll output, checked against the event log) asks.
    waitTimeOverrides: {
      get [PLAYBACK_STATES.wait]() {
        const seconds = last?.nextDelaySeconds ?? assert.fail("Wait before any Poll");
        rec.waits.push({ at: w.now(), seconds, current: w.fake.player.state().current });
        w.advance(seconds * S);
        return 0;
      },
    },
  };
  const execution = machine.run(input, {
    overrides,
    context: { StateMachine: { Id: selfArn, Name: selfArn.split(":").at(-1) } },
  });
  const events = (async () => {
    for await (const e of execution.eventLogs) rec.events.push(e);
  })();
  // A failed execution (Release → Failed) rejects; the record keeps what happened.
  rec.output = await execution.result.catch((err: unknown) => ({ failed: (err as Error).message }));
  await events;
  return rec;
}

/** Runs executions until one ends without handing over, each started from the last Handover input. */
async function runChain(
  w: World,
  input: JsonValue = { state: null, listener: OWNER_ID },
): Promise<ExecutionRecord[]> {
  const chain: ExecutionRecord[] = [];
  let next: JsonValue | null = input;
  while (next !== null) {
    assert.ok(chain.length < 20, "the chain never ends");
    const rec = await runExecution(w, next);
    chain.push(rec);
    next = null;
    if (rec.handover) {
      assert.equal(rec.handover.StateMachineArn, selfArn, "the successor is this very machine");
      next = rec.handover.Input as JsonValue;
    }
  }
  return chain;
}

const enteredStates = (rec: ExecutionRecord) =>
  rec.events.flatMap((e) => (e?.type === "StateEntered" ? [e.state.name] : []));

async function allPlays(w: World): Promise<Play[]> {
  const page = await w.deps.store.listPlays({ limit: 100 });
  assert.equal(page.next_cursor, null);
  return page.items.slice().sort((a, b) => a.listened_at.localeCompare(b.listened_at));
}

// ------------------------------------------------------------------ one listening session
describe("a listening session across handovers", () => {
  let w: World;
  let chain: ExecutionRecord[];
  let b: SpotifyTrack;
  let realMs = 0;

  before(async () => {
    w = await world();
    b = track({ name: "B", duration_ms: 250 * S });
    // A 0–200 s; B 200–550 s with a pause 300–400 s; C from 550 s, playback stopped at 620 s.
    w.fake.player.play(track({ name: "A", duration_ms: 200 * S }));
    w.fake.player.queue(b, track({ name: "C", duration_ms: 120 * S }));
    w.at(T0 + 300 * S, () => w.fake.player.pause());
    w.at(T0 + 400 * S, () => w.fake.player.resume());
    w.at(T0 + 620 * S, () => w.fake.player.stop());
    const started = performance.now();
    chain = await runChain(w);
    realMs = performance.now() - started;
  });

  test("(a) while a track plays the loop waits 1–2 s and never past the end of the track", () => {
    const waits = chain.flatMap((r) => r.waits);
    const playing = waits.filter((x) => x.current?.is_playing === true);
    assert.ok(playing.length > 200, `${playing.length} waits while playing`);
    for (const x of playing) {
      const current = x.current ?? assert.fail("playing without an item");
      assert.ok(x.seconds === 1 || x.seconds === 2, `waited ${x.seconds} s while ${current.name} played`);
      const remainingMs = current.duration_ms - current.progress_ms;
      if (remainingMs >= S) assert.ok(x.seconds * S <= remainingMs, `${current.name}: past its end`);
    }
    // So every track change is seen within the cadence.
    const pollTimes = chain.flatMap((r) => r.polls.map((p) => p.at));
    for (const p of w.fake.plays) {
      assert.ok(
        pollTimes.some((t) => t >= p.started_at && t <= p.started_at + 2 * S),
        `start of ${p.item?.name} at ${p.started_at - T0} ms seen late`,
      );
    }
    // The Wait waited what the Poll output said ($.nextDelaySeconds), as the event log shows.
    const fromEvents = chain.flatMap((r) =>
      r.events.flatMap((e) =>
        e?.type === "StateEntered" && e.state.name === PLAYBACK_STATES.wait
          ? [(e.state.input as { nextDelaySeconds: number }).nextDelaySeconds]
          : [],
      ),
    );
    assert.deepEqual(
      fromEvents,
      waits.map((x) => x.seconds),
    );
  });

  test("(b) paused or idle it keeps looking every few seconds, and the chain ends by itself after the idle spell", async () => {
    const waits = chain.flatMap((r) => r.waits);
    const paused = waits.filter((x) => x.at >= T0 + 300 * S && x.at < T0 + 400 * S).map((x) => x.seconds);
    const idle = waits.filter((x) => x.at >= T0 + 620 * S).map((x) => x.seconds);
    // No slow polls inside a live execution (it bills duration, not polls): ≤ 5 s, as configured.
    const inactive = DEFAULT_TRACKER_OPTIONS.inactiveDelaysSeconds;
    assert.ok(paused.length > 0 && idle.length > 0);
    for (const s of [...paused, ...idle]) {
      assert.ok(s <= 5 && inactive.includes(s), `paused/idle waits ${[...paused, ...idle].join(",")}`);
    }

    const lastRun = chain.at(-1) ?? assert.fail("no execution");
    const lastPoll = lastRun.polls.at(-1) ?? assert.fail("no poll");
    assert.equal(lastPoll.output.action, "stop");
    assert.equal(lastPoll.output.stopReason, "idle");
    assert.equal(lastRun.handover, null);
    assert.equal(enteredStates(lastRun).at(-1), PLAYBACK_STATES.done);
    // The tracker's idle spell after playback stopped (the first idle poll is within 2 s of the
    // stop, the last at most one back-off step late), counted across handovers: the idle clock
    // rides in the state.
    const idleEndMs = DEFAULT_TRACKER_OPTIONS.idleEndMs;
    const idleFor = lastPoll.at - (T0 + 620 * S);
    assert.ok(idleFor >= idleEndMs && idleFor <= idleEndMs + 7 * S, `stopped after ${idleFor / S} s idle`);
    assert.equal(
      await w.deps.cache.get(cacheKeys.lease(OWNER_ID)),
      null,
      "the stopped chain let go of the lease",
    );
    // /health's "last successful poll": noted at most once every 5 minutes, so within 5 minutes of the last.
    const status = await w.deps.cache.get<{ last_successful_poll_at: string }>(cacheKeys.status(OWNER_ID));
    const noted = Date.parse(status?.last_successful_poll_at ?? "");
    assert.ok(
      lastPoll.at - noted >= 0 && lastPoll.at - noted <= 300 * S,
      `noted ${status?.last_successful_poll_at}`,
    );
  });

  test("(c) after ~4 minutes it hands over the tracker state and the open listen is recorded once", async () => {
    assert.ok(chain.length >= 3, `${chain.length} executions`);
    let owner = chain[0]?.polls[0]?.output.state.owner;
    const owners = new Set<string>();
    for (const [i, rec] of chain.entries()) {
      const lastPoll = rec.polls.at(-1) ?? assert.fail("no poll");
      const ranFor = lastPoll.at - rec.startedAt;
      assert.ok(ranFor < 300 * S, `execution ${i} ran ${ranFor / S} s, past the Express limit`);
      // Every poll but a handing-over one keeps the owner it started with.
      for (const p of rec.polls.slice(0, -1)) assert.equal(p.output.state.owner, owner, `execution ${i}`);
      owners.add(owner ?? "");
      if (!rec.handover) continue;
      // The handover passed the lease to a fresh owner, the one the successor carries.
      owner = lastPoll.output.state.owner;
      assert.ok(!owners.has(owner), `execution ${i} handed over to a fresh owner`);
      // At the last poll whose next wait would cross 4 minutes (238–240 s while playing).
      const wouldWait = lastPoll.output.nextDelaySeconds * S;
      assert.ok(
        ranFor <= 240 * S && ranFor + wouldWait > 240 * S,
        `execution ${i} handed over after ${ranFor / S} s`,
      );
      assert.equal(lastPoll.output.action, "handover");
      assert.deepEqual(rec.handover.Input, {
        state: JSON.parse(JSON.stringify(lastPoll.output.state)),
        listener: OWNER_ID,
      });
      assert.deepEqual(enteredStates(rec).slice(-3), [
        PLAYBACK_STATES.decide,
        PLAYBACK_STATES.handover,
        PLAYBACK_STATES.done,
      ]);
    }
    // B plays from 200 s to 550 s: open across the handovers at ~240 s and ~480 s.
    const acrossB = chain.filter((r) => {
      const at = r.polls.at(-1)?.at ?? 0;
      return r.handover && at > T0 + 200 * S && at < T0 + 550 * S;
    });
    assert.equal(acrossB.length, 2);
    for (const r of acrossB) {
      const input = r.handover?.Input as { state: PollTaskOutput["state"] } | undefined;
      assert.equal(input?.state.tracker.open?.item.key, b.id, "the open listen rides in the handover input");
    }
    const plays = (await allPlays(w)).filter((p) => p.track_id === b.id);
    assert.equal(plays.length, 1, "B recorded once");
    assert.equal(plays[0]?.listened_at, new Date(T0 + 200 * S).toISOString());
    assert.equal(plays[0]?.counted, true);
  });

  test("(e) the plays in DynamoDB are what the fake player played", async () => {
    const played = w.fake.plays;
    assert.deepEqual(
      played.map((p) => p.item?.name),
      ["A", "B", "C"],
    );
    const stored = await allPlays(w);
    assert.equal(stored.length, played.length);
    for (const [i, p] of played.entries()) {
      const s = stored[i] ?? assert.fail(`play ${i} missing`);
      assert.equal(s.track_id, p.item?.id);
      assert.equal(s.source, "poll");
      assert.equal(s.listened_at, new Date(p.started_at).toISOString(), `${s.name} start`);
      // Seen every 1–2 s: at most one cadence of play after the last look goes unseen.
      assert.ok(
        Math.abs(s.listened_ms - p.listened_ms) <= 2 * S,
        `${s.name}: ${s.listened_ms} vs ${p.listened_ms}`,
      );
      assert.equal(s.counted, true);
    }
  });

  test("cost model: one Poll → Decide → Wait iteration is 3 state transitions", (t) => {
    const polls = chain.reduce((n, r) => n + r.polls.length, 0);
    const entered = chain.reduce((n, r) => n + enteredStates(r).length, 0);
    const waits = chain.reduce((n, r) => n + r.waits.length, 0);
    // Every Poll that did not end its execution went through Decide and Wait.
    assert.equal(waits, polls - chain.length);
    // Each execution ends with Decide → (Handover →) Done.
    const handovers = chain.filter((r) => r.handover).length;
    assert.equal(entered, 3 * waits + 3 * chain.length + handovers);
    t.diagnostic(
      `${chain.length} executions, ${polls} polls, ${entered} states entered over ${
        ((chain.at(-1)?.polls.at(-1)?.at ?? T0) - T0) / S
      } virtual s in ${Math.round(realMs)} real ms`,
    );
  });
});

// ------------------------------------------------------------------ two loops
describe("a second loop", () => {
  test("(d) stops at once with stopReason lease while another execution holds the lease", async () => {
    const w = await world();
    w.fake.player.play(track({ name: "D", duration_ms: 400 * S }));
    let intruder: ExecutionRecord | undefined;
    let holder = "";
    const first = await runExecution(w, { state: null, listener: OWNER_ID }, async (rec) => {
      if (rec.polls.length !== 3) return;
      holder = rec.polls[2]?.output.state.owner ?? "";
      assert.equal(await w.deps.cache.get(cacheKeys.lease(OWNER_ID)), holder);
      // What the watchdog would start if it missed the lease: a chain with a new owner.
      intruder = await runExecution(w, { state: null, listener: OWNER_ID });
    });
    const second = intruder ?? assert.fail("the second execution did not run");
    assert.equal(second.polls.length, 1);
    const out = second.polls[0]?.output ?? assert.fail("no poll");
    assert.notEqual(out.state.owner, holder);
    assert.equal(out.action, "stop");
    assert.equal(out.stopReason, "lease");
    assert.equal(out.recorded, 0);
    assert.deepEqual(enteredStates(second), [
      PLAYBACK_STATES.poll,
      PLAYBACK_STATES.decide,
      PLAYBACK_STATES.done,
    ]);
    assert.equal(second.handover, null);

    // The first loop kept its lease and went on until its handover, which passed it on.
    const successor = first.handover?.Input as { state: { owner: string } } | undefined;
    assert.equal(await w.deps.cache.get(cacheKeys.lease(OWNER_ID)), successor?.state.owner);
    assert.notEqual(successor?.state.owner, holder);
    const after = first.polls.slice(3);
    assert.ok(after.length > 100);
    assert.ok(after.slice(0, -1).every((p) => p.output.action === "wait"));
    assert.equal(after.at(-1)?.output.action, "handover");
    assert.deepEqual(await allPlays(w), [], "D is still playing: nothing finished");
  });
});

// ------------------------------------------------------------------ failures and duplicates
describe("a loop that cannot die silently", () => {
  test("a failed Poll is caught: Release frees the lease, records the failure, and the watchdog restarts", async () => {
    const w = await world();
    w.fake.player.play(track({ name: "E", duration_ms: 400 * S }));
    const rec = await runExecution(w, { state: null, listener: OWNER_ID }, undefined, 4);
    assert.equal(rec.polls.length, 3, "three good polls, the fourth threw");
    const owner = rec.polls[2]?.output.state.owner ?? assert.fail("no owner");
    assert.deepEqual(enteredStates(rec).slice(-3), [
      PLAYBACK_STATES.poll,
      PLAYBACK_STATES.release,
      PLAYBACK_STATES.failed,
    ]);
    assert.equal(rec.release?.state?.owner, owner, "Release got the state the failed Poll was given");
    assert.match(rec.release?.failure?.Cause ?? "", /Task timed out/);
    assert.equal(await w.deps.cache.get(cacheKeys.lease(OWNER_ID)), null, "the lease is free at once");
    const [run] = await w.deps.store.listJobRuns(LOOP_JOB, 5);
    assert.equal(run?.ok, false);
    assert.equal(run?.result.released, true);
    assert.match(String(run?.result.cause), /Task timed out/);

    // The next watchdog minute sees music and no lease: it starts a new chain.
    w.advance(60 * S);
    let started = 0;
    assert.equal(
      await watchdog(w.deps, async () => {
        started++;
      }),
      "started",
    );
    assert.equal(started, 1);
  });

  test("a failed Release still ends the execution as failed, not stuck", async () => {
    const w = await world();
    w.fake.player.play(track({ name: "F", duration_ms: 400 * S }));
    const store = w.deps.store;
    w.deps.store = { ...store, recordJobRun: () => Promise.reject(new Error("DynamoDB is down")) };
    try {
      const rec = await runExecution(w, { state: null, listener: OWNER_ID }, undefined, 2);
      assert.equal(enteredStates(rec).at(-1), PLAYBACK_STATES.failed);
      // Released before recording: the watchdog is not blocked even when recording fails.
      assert.equal(await w.deps.cache.get(cacheKeys.lease(OWNER_ID)), null);
    } finally {
      w.deps.store = store;
    }
  });

  test("a duplicated execution (same input twice) ends with one successor: the copy that loses the lease stops", async () => {
    const w = await world();
    w.fake.player.play(track({ name: "G", duration_ms: 900 * S }));
    const first = await runExecution(w, { state: null, listener: OWNER_ID });
    const input = first.handover?.Input as JsonValue;
    assert.ok(input, "the first execution handed over");
    // Step Functions may start the successor twice with the same input (at-least-once).
    let copy: ExecutionRecord | undefined;
    const original = await runExecution(w, input, async (rec) => {
      if (rec.polls.length === 1) copy = await runExecution(w, input);
    });
    const twin = copy ?? assert.fail("the copy did not run");
    const handedOver = [original, twin].filter((r) => r.handover !== null);
    assert.equal(handedOver.length, 1, "exactly one successor");
    const loser = original.handover ? twin : original;
    assert.equal(loser.polls.at(-1)?.output.stopReason, "lease");
    const successor = handedOver[0]?.handover?.Input as { state: { owner: string } } | undefined;
    assert.equal(await w.deps.cache.get(cacheKeys.lease(OWNER_ID)), successor?.state.owner);
  });
});
