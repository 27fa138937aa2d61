/**
 * A simulated day: ~4 hours of music in three sessions over 24 hours, played by the fake
 * Spotify on a virtual clock, captured by the real code (watchdog, poll task, tracker, Spotify
 * client over HTTP, DynamoDB Local, cache) — and the same day under a naive loop (a poll every
 * second, 24/7, on a Standard workflow). Both are priced by one model (prices.ts).
 */
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { createMemoryCache } from "#shared/cache/memory.ts";
import type { Cache } from "#shared/cache/port.ts";
import { DEFAULT_LOOP_OPTIONS, type LoopState, newLoopState, tick } from "#shared/capture/loop.ts";
import { runPollTask } from "#shared/capture/runner.ts";
import { watchdog } from "#shared/capture/watchdog.ts";
import { loadConfig } from "#shared/config.ts";
import { buildDeps, type Deps } from "#shared/deps.ts";
import { DEFAULT_TRACKER_OPTIONS } from "#shared/domain/tracker.ts";
import { createSpotifyClient } from "#shared/spotify/client.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import { createDynamoStore } from "#shared/store/repository.ts";
import { linkSpotify } from "#test/support/capture.ts";
import {
  appEnvFor,
  type FakeSpotify,
  type SpotifyTrack,
  startFakeSpotify,
  track,
} from "#test/support/fake-spotify.ts";
import { rng } from "#test/support/rng.ts";
import { monthlyCost, SOURCES, type UsagePerDay } from "./prices.ts";

const S = 1000;
const DAY = 86_400 * S;
// Assumed billed time of one poll or watchdog run on AWS: one Spotify round trip (~100 ms from
// us-east-1) plus cache/DynamoDB; the local tick time is printed beside it. Memory as in the stack.
const LAMBDA_MS = 120;
const LAMBDA_MB = 128;

type Action = { at: number; run: (fake: FakeSpotify) => void };

/** Sessions at 08:00 (60 min), 13:00 (60 min), 19:30 (120 min); skips and pauses sprinkled in. */
function profile(day0: number): { actions: Action[]; musicMs: number } {
  const r = rng(42);
  const tracks: SpotifyTrack[] = Array.from({ length: 60 }, (_, i) =>
    track({ name: `Track ${i}`, duration_ms: Math.floor(150 + r() * 130) * S }),
  );
  const actions: Action[] = [];
  let musicMs = 0;
  for (const [startH, minutes] of [
    [8, 60],
    [13, 60],
    [19.5, 120],
  ] as const) {
    let t = day0 + startH * 3600 * S;
    const end = t + minutes * 60 * S;
    while (t < end) {
      const tr = tracks[Math.floor(r() * tracks.length)] as SpotifyTrack;
      const played = r() < 0.15 ? Math.floor(5 + r() * 35) * S : tr.duration_ms;
      const at = t;
      actions.push({ at, run: (f) => f.player.play(tr) });
      if (played > 60 * S && r() < 0.1) {
        const pauseAt = at + 30 * S;
        const pause = Math.floor(10 + r() * 110) * S;
        actions.push({ at: pauseAt, run: (f) => f.player.pause() });
        actions.push({ at: pauseAt + pause, run: (f) => f.player.resume() });
        t += pause;
      }
      t += played;
      musicMs += played;
    }
    actions.push({ at: t, run: (f) => f.player.stop() });
  }
  return { actions: actions.sort((a, b) => a.at - b.at), musicMs };
}

function countingCache(inner: Cache, counter: { commands: number }): Cache {
  const count =
    <A extends unknown[], R>(fn: (...a: A) => Promise<R>) =>
    (...a: A) => {
      counter.commands++;
      return fn(...a);
    };
  return {
    kind: inner.kind,
    get: <T>(key: string) => {
      counter.commands++;
      return inner.get<T>(key);
    },
    set: count(inner.set.bind(inner)),
    setIfAbsent: count(inner.setIfAbsent.bind(inner)),
    del: count(inner.del.bind(inner)),
    swapIfEquals: count(inner.swapIfEquals.bind(inner)),
    deleteIfEquals: count(inner.deleteIfEquals.bind(inner)),
    incrementWindow: count(inner.incrementWindow.bind(inner)),
    ttlMs: count(inner.ttlMs.bind(inner)),
    size: count(inner.size.bind(inner)),
    ping: count(inner.ping.bind(inner)),
  };
}

/** Sums the capacity DynamoDB (Local) reports for every request. */
function meterCapacity(client: DynamoDBDocumentClient, meter: { wru: number; rru: number }) {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as Record<string, unknown>;
      input.ReturnConsumedCapacity = "TOTAL";
      const out = await next(args);
      const cc = (out.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
      const list = (Array.isArray(cc) ? cc : cc ? [cc] : []) as { CapacityUnits?: number }[];
      const units = list.reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
      if (/Get|Query|Scan/.test(context.commandName ?? "")) meter.rru += units;
      else meter.wru += units;
      return out;
    },
    { step: "initialize", name: "meterCapacity" },
  );
}

interface Run {
  usage: UsagePerDay;
  plays: number;
  counted: number;
  medianTickMs: number;
}

async function runDay(endpoint: string, policy: "adaptive" | "naive"): Promise<Run> {
  let now = Date.parse("2026-11-02T00:00:00.000Z");
  const day0 = now;
  const fake = await startFakeSpotify({ now: () => now });
  const client = createDocumentClient({ region: "us-east-1", endpoint });
  const tableName = `bench-day-${policy}-${Date.now()}`;
  await ensureTable(client, tableName);
  const store = createDynamoStore({ client, tableName });
  const cacheCounter = { commands: 0 };
  const meter = { wru: 0, rru: 0 };
  const config = loadConfig({
    TABLE_NAME: tableName,
    DYNAMODB_ENDPOINT: endpoint,
    ...appEnvFor(fake),
  });
  const deps: Deps = await buildDeps(config, {
    store,
    cache: countingCache(createMemoryCache({ now: () => now }), cacheCounter),
    clock: () => new Date(now),
  });
  await linkSpotify(store, fake, new Date(now));
  meterCapacity(client, meter);
  const callsBefore = fake.calls.length;

  const { actions } = profile(day0);
  const advance = (to: number) => {
    while (actions.length > 0 && (actions[0]?.at ?? Infinity) <= to) {
      const a = actions.shift();
      if (!a) break;
      now = a.at;
      a.run(fake);
    }
    now = to;
  };

  const u: UsagePerDay = {
    spotifyCalls: 0,
    pollInvocations: 0,
    watchdogInvocations: 0,
    lambdaMsPerInvocation: LAMBDA_MS,
    lambdaMemoryMb: LAMBDA_MB,
    expressExecutions: 0,
    expressSeconds: 0,
    standardTransitions: 0,
    wru: 0,
    rru: 0,
    cacheCommands: 0,
  };
  const tickMs: number[] = [];
  const end = day0 + DAY;

  if (policy === "adaptive") {
    let state: LoopState | null = null;
    let chainStart: number | null = null;
    while (now < end) {
      if (chainStart === null) {
        u.watchdogInvocations++;
        const outcome = await watchdog(deps, async () => undefined);
        if (outcome !== "started") {
          advance(now + 60 * S);
          continue;
        }
        chainStart = now;
        state = null;
        u.expressExecutions++;
      }
      const t = performance.now();
      const out = await runPollTask(deps, {
        state,
        execution_started_at: new Date(chainStart).toISOString(),
      });
      tickMs.push(performance.now() - t);
      u.pollInvocations++;
      u.standardTransitions += 3; // Poll, Decide, Wait (not billed on Express; shown for comparison)
      if (out.action === "stop") {
        u.expressSeconds += (now - chainStart) / 1000 + LAMBDA_MS / 1000;
        chainStart = null;
        // The watchdog runs on the minute; the next check is within 60 s.
        advance(now + 60 * S);
        continue;
      }
      state = out.state;
      if (out.action === "handover") {
        u.expressSeconds += (now - chainStart) / 1000 + LAMBDA_MS / 1000;
        u.expressExecutions++;
        chainStart = now;
        // The successor polls at once, without a Wait.
        advance(now + LAMBDA_MS);
        continue;
      }
      advance(now + out.nextDelaySeconds * S);
    }
    if (chainStart !== null) u.expressSeconds += (now - chainStart) / 1000;
  } else {
    // The naive loop: one poll a second, forever, never idle, on a Standard workflow.
    const spotify = createSpotifyClient(deps);
    const trackerOpts = {
      ...DEFAULT_TRACKER_OPTIONS,
      playingDelaySeconds: 1,
      inactiveDelaysSeconds: [1],
      idleEndMs: Infinity,
    };
    let state = newLoopState("naive", now);
    while (now < end) {
      const t = performance.now();
      const out = await tick(
        { spotify, store, cache: deps.cache, clock: deps.clock, tracker: trackerOpts },
        { ...state, chain_started_at: now },
        { ...DEFAULT_LOOP_OPTIONS, chainMaxMs: Infinity },
      );
      tickMs.push(performance.now() - t);
      state = out.state;
      u.pollInvocations++;
      u.standardTransitions += 3;
      advance(now + S);
    }
  }

  u.spotifyCalls = fake.calls.length - callsBefore;
  u.cacheCommands = cacheCounter.commands;
  u.wru = meter.wru;
  u.rru = meter.rru;
  const page = await store.listPlays({ limit: 500 });
  await fake.stop();
  tickMs.sort((a, b) => a - b);
  return {
    usage: u,
    plays: page.items.length,
    counted: page.items.filter((p) => p.counted).length,
    medianTickMs: tickMs[Math.floor(tickMs.length / 2)] ?? 0,
  };
}

export async function simulatedDayBench(endpoint: string): Promise<void> {
  const { musicMs } = profile(0);
  console.log(
    `\n## Simulated day: ${(musicMs / 3_600_000).toFixed(1)} h of music over 24 h (prices: ${SOURCES})`,
  );
  const adaptive = await runDay(endpoint, "adaptive");
  const naive = await runDay(endpoint, process.env.BENCH_SKIP_NAIVE ? "adaptive" : "naive");
  const a = adaptive.usage;
  const n = naive.usage;
  const rows: [string, number | string, number | string][] = [
    [
      "plays recorded (counted)",
      `${adaptive.plays} (${adaptive.counted})`,
      `${naive.plays} (${naive.counted})`,
    ],
    ["Spotify calls", a.spotifyCalls, n.spotifyCalls],
    ["poll invocations", a.pollInvocations, n.pollInvocations],
    ["watchdog invocations", a.watchdogInvocations, n.watchdogInvocations],
    ["Express executions", a.expressExecutions, "—"],
    ["Express execution-seconds", a.expressSeconds.toFixed(0), "—"],
    ["state transitions", a.standardTransitions, n.standardTransitions],
    [
      "DynamoDB WRU / RRU",
      `${a.wru.toFixed(0)} / ${a.rru.toFixed(0)}`,
      `${n.wru.toFixed(0)} / ${n.rru.toFixed(0)}`,
    ],
    ["cache commands", a.cacheCommands, n.cacheCommands],
    ["median tick here (ms)", adaptive.medianTickMs.toFixed(1), naive.medianTickMs.toFixed(1)],
  ];
  console.log(
    `  ${"per day".padEnd(28)} ${"adaptive Express".padStart(18)} ${"naive 1 s Standard".padStart(20)}`,
  );
  for (const [k, x, y] of rows)
    console.log(`  ${k.padEnd(28)} ${String(x).padStart(18)} ${String(y).padStart(20)}`);
  // Express bills duration, not transitions; the transitions are shown for the comparison.
  const ca = monthlyCost({ ...a, standardTransitions: 0 });
  const cn = monthlyCost({ ...n, expressExecutions: 0, expressSeconds: 0 });
  console.log(`  cost per month (Lambda ${LAMBDA_MS} ms × ${LAMBDA_MB} MB per invocation assumed)`);
  for (const k of ["lambda", "stepFunctions", "dynamo", "cache", "total"] as const) {
    console.log(
      `  ${`  ${k}`.padEnd(28)} ${`$${ca[k].toFixed(3)}`.padStart(18)} ${`$${cn[k].toFixed(2)}`.padStart(20)}`,
    );
  }
  console.log(`  ratio naive / adaptive: ${(cn.total / ca.total).toFixed(0)}x`);
  // The one assumption that moves the total: how long a poll runs on AWS (Spotify's latency).
  const sensitivity = [80, 100, 150, 200].map((ms) => {
    const t = monthlyCost({ ...a, standardTransitions: 0, lambdaMsPerInvocation: ms }).total;
    return `${ms} ms → $${t.toFixed(3)}`;
  });
  console.log(`  adaptive total if a poll takes ${sensitivity.join(", ")}`);
  const free = ca.total - ca.cache;
  console.log(`  adaptive total within Upstash's free tier (500K commands a month): $${free.toFixed(3)}`);
}
