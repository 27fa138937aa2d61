/**
 * A simulated day: ~4 hours of music in three sessions over 24 hours, played by the fake
 * Spotify on a virtual clock, captured by the real code (watchdog, poll task, tracker, Spotify
 * client over HTTP, DynamoDB Local, cache) — and the same day under a naive loop (a poll every
 * second, 24/7, on a Standard workflow). Both are priced by one model (prices.ts).
 */
import { LAMBDA_SYSTEM_LOG_LEVEL } from "#infra/cdk/logging.ts";
import { cacheKeys } from "#shared/cache/keys.ts";
import { createMemoryCache } from "#shared/cache/memory.ts";
import type { Cache } from "#shared/cache/port.ts";
import { linkedListeners } from "#shared/capture/listeners.ts";
import { DEFAULT_LOOP_OPTIONS, type LoopState, newLoopState, tick } from "#shared/capture/loop.ts";
import { runPollTask } from "#shared/capture/runner.ts";
import { watchdog } from "#shared/capture/watchdog.ts";
import { loadConfig } from "#shared/config.ts";
import { buildDeps, type Deps, forListener } from "#shared/deps.ts";
import type { Play } from "#shared/domain/entities.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import { DEFAULT_TRACKER_OPTIONS, type NowPlayingSnapshot } from "#shared/domain/tracker.ts";
import { runAnalysisJob } from "#shared/lyrics/analysis.ts";
import { createLyricsStore } from "#shared/lyrics/store.ts";
import { createSpotifyClient } from "#shared/spotify/client.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import { createHousehold } from "#shared/store/household.ts";
import { linkSpotify } from "#test/support/capture.ts";
import { type LyricsFakes, startLyricsFakes } from "#test/support/fake-lyrics.ts";
import {
  appEnvFor,
  type FakePlay,
  type FakeSpotify,
  type SpotifyTrack,
  startFakeSpotify,
  track,
} from "#test/support/fake-spotify.ts";
import { rng } from "#test/support/rng.ts";
import { startSpotifyHousehold } from "#test/support/spotify-household.ts";
import { billWrites, type DynamoMeter, itemSizes, meterDynamo } from "./dynamo-bill.ts";
import {
  BILL_LINES,
  type LambdaUsage,
  LOG_EVENT_OVERHEAD_BYTES,
  monthlyBill,
  SOURCES,
  type UsagePerDay,
} from "./prices.ts";

const S = 1000;
const DAY = 86_400 * S;
// Assumed billed time of one poll on AWS: one Spotify round trip (~100 ms from us-east-1) plus
// cache/DynamoDB; the tick's own CPU time measured here is printed beside it. Memory as in the stack.
const LAMBDA_MS = 120;
/** A watchdog run without Spotify: its DynamoDB and cache reads; each Spotify call adds SPOTIFY_MS. */
const WATCHDOG_MS = 20;
/** The hourly job: a backfill, a metadata sync and the month packs (mostly waiting on I/O). */
const HOURLY_MS = 1500;
const HOURLY_MB = 256;
/** One more Spotify round trip inside an invocation. */
const SPOTIFY_MS = 100;
const LAMBDA_MB = 128;
/**
 * The hourly analysis (functions/analysis.ts): a run that finds nothing new walks the tracks
 * (~300 ms); each new track adds an LRCLIB lookup and a Hugging Face call (~800 ms together).
 */
const ANALYSIS_IDLE_MS = 300;
const ANALYSIS_TRACK_MS = 800;
const ANALYSIS_MB = 256;

type Action = { at: number; run: (fake: FakeSpotify) => void };

/**
 * Sessions (4 h/day: about 08:00 60 min, 13:00 60 min, 19:30 120 min), each starting some seconds
 * after the minute (the watchdog looks on the minute); skips, pauses and short breaks (the
 * player stopped for 15-45 s, then a new song) sprinkled in, and a few short listens (30-55 s)
 * alone between two watchdog looks, which only the catch-up at the next start can recover.
 */
/** Listening sessions ([start hour, minutes]) of each daily profile the bench prices. */
const SESSIONS: Record<number, readonly (readonly [number, number])[]> = {
  1: [
    [8, 20],
    [19.5, 40],
  ],
  4: [
    [8, 60],
    [13, 60],
    [19.5, 120],
  ],
  10: [
    [8, 240],
    [13, 120],
    [17, 240],
  ],
};

function profile(day0: number, hours = 4, seed = 42): { actions: Action[]; musicMs: number } {
  const r = rng(seed);
  const tracks: SpotifyTrack[] = Array.from({ length: 60 }, (_, i) =>
    track({ name: `Track ${i}`, duration_ms: Math.floor(150 + r() * 130) * S }),
  );
  const pick = () => tracks[Math.floor(r() * tracks.length)] as SpotifyTrack;
  const actions: Action[] = [];
  let musicMs = 0;
  for (const [startH, minutes] of SESSIONS[hours] ?? []) {
    let t = day0 + startH * 3600 * S + Math.floor(5 + r() * 50) * S;
    const end = t + minutes * 60 * S;
    while (t < end) {
      const tr = pick();
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
      if (r() < 0.08 && t < end) {
        const stopAt = t;
        actions.push({ at: stopAt, run: (f) => f.player.stop() });
        t += Math.floor(15 + r() * 30) * S;
      }
    }
    actions.push({ at: t, run: (f) => f.player.stop() });
  }
  // Short listens long after any loop ended: started 2 s after a watchdog look, stopped before the next.
  for (const h of [3, 6, 16, 23]) {
    const tr = pick();
    const at = day0 + h * 3600 * S + 2 * S;
    const played = Math.floor(30 + r() * 25) * S;
    actions.push({ at, run: (f) => f.player.play(tr) });
    actions.push({ at: at + played, run: (f) => f.player.stop() });
    musicMs += played;
  }
  return { actions: actions.sort((a, b) => a.at - b.at), musicMs };
}

/** Whether Lambda's START/END/REPORT lines reach CloudWatch Logs (they are INFO). */
const PLATFORM_LOGS = LAMBDA_SYSTEM_LOG_LEVEL !== "WARN";

/** A function's day: `logLineBytes` is one application log line per invocation (0: none). */
function lambda(
  name: string,
  invocations: number,
  msEach: number,
  memoryMb: number,
  logLineBytes: number,
): LambdaUsage {
  return {
    name,
    invocations,
    msEach,
    memoryMb,
    appLogBytes: logLineBytes > 0 ? invocations * (logLineBytes + LOG_EVENT_OVERHEAD_BYTES) : 0,
    platformLogs: PLATFORM_LOGS,
  };
}

/** What the now-playing card shows, or what really plays, as one comparable string. */
function cardSig(item: { uri?: string | null } | null | undefined, playing: boolean): string {
  return item?.uri ? `${item.uri}|${playing ? "playing" : "paused"}` : "nothing";
}

/**
 * Whether the app looked at the listener's player (a watchdog check or a poll) while `p`
 * played. A listen that began and ended between two looks, with no loop running, was never
 * seen by anything; when Spotify does not list it either, no poller could have kept it.
 */
function lookedAtWhile(looks: readonly number[], p: FakePlay): boolean {
  let lo = 0;
  let hi = looks.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((looks[mid] as number) < p.started_at) lo = mid + 1;
    else hi = mid;
  }
  return lo < looks.length && (looks[lo] as number) < p.ended_at;
}

/**
 * Compares the recorded hoard with what the fake really played: which real listens the live
 * loop stored, which the catch-up recovered (estimated), and which Spotify lists but nothing
 * stored (left to the hourly job). A stored play is a real listen's when it is of the same
 * track and their spans overlap.
 */
function captureReport(truth: readonly FakePlay[], stored: readonly Play[], looks: readonly number[] = []) {
  const real = truth.filter((p) => p.item && !p.private && p.kind !== "ad" && p.kind !== "unknown");
  const taken = new Set<Play>();
  const find = (p: FakePlay, estimated: boolean) =>
    stored.find(
      (s) =>
        !taken.has(s) &&
        s.estimated === estimated &&
        s.track_id === p.item?.id &&
        Date.parse(s.listened_at) < p.ended_at &&
        Date.parse(s.ended_at) > p.started_at,
    );
  let live = 0;
  let recovered = 0;
  let leftToHourly = 0;
  let missedUnlisted = 0;
  let unseen = 0;
  const lost: { started_at: string; listened_ms: number }[] = [];
  const startErrors: number[] = [];
  for (const p of real) {
    const s = find(p, false);
    if (s) {
      taken.add(s);
      live++;
      startErrors.push(Math.abs(Date.parse(s.listened_at) - p.started_at));
      continue;
    }
    const e = find(p, true);
    if (e) {
      taken.add(e);
      recovered++;
    } else if (p.listed) leftToHourly++;
    else if (lookedAtWhile(looks, p)) {
      missedUnlisted++;
      lost.push({ started_at: new Date(p.started_at).toISOString(), listened_ms: p.listened_ms });
    } else unseen++;
  }
  startErrors.sort((a, b) => a - b);
  return {
    real: real.length,
    live,
    missedByLoop: real.length - live,
    recovered,
    leftToHourly,
    missedUnlisted,
    unseen,
    lost,
    extra: stored.length - taken.size,
    startErrorMedianMs: startErrors[Math.floor(startErrors.length / 2)] ?? 0,
    startErrorMaxMs: startErrors.at(-1) ?? 0,
  };
}

/** Several listeners' capture reports as one (start errors: the worst median, the worst max). */
function sumReports(reports: ReturnType<typeof captureReport>[]): ReturnType<typeof captureReport> {
  const sum = (
    k:
      | "real"
      | "live"
      | "missedByLoop"
      | "recovered"
      | "leftToHourly"
      | "missedUnlisted"
      | "unseen"
      | "extra",
  ) => reports.reduce((n, r) => n + r[k], 0);
  return {
    real: sum("real"),
    live: sum("live"),
    missedByLoop: sum("missedByLoop"),
    recovered: sum("recovered"),
    leftToHourly: sum("leftToHourly"),
    missedUnlisted: sum("missedUnlisted"),
    unseen: sum("unseen"),
    lost: reports.flatMap((r) => r.lost),
    extra: sum("extra"),
    startErrorMedianMs: Math.max(0, ...reports.map((r) => r.startErrorMedianMs)),
    startErrorMaxMs: Math.max(0, ...reports.map((r) => r.startErrorMaxMs)),
  };
}

/** Counts the app's cache commands, by command and key (`art:` keys as one), for the breakdown. */
function countingCache(inner: Cache, counter: { commands: number; byKey: Map<string, number> }): Cache {
  const note = (command: string, key: string) => {
    counter.commands++;
    const name = `${command} ${key.startsWith("art:") ? "art:*" : key}`;
    counter.byKey.set(name, (counter.byKey.get(name) ?? 0) + 1);
  };
  const count =
    <A extends [string, ...unknown[]], R>(command: string, fn: (...a: A) => Promise<R>) =>
    (...a: A) => {
      note(command, a[0]);
      return fn(...a);
    };
  return {
    kind: inner.kind,
    get: <T>(key: string) => {
      note("GET", key);
      return inner.get<T>(key);
    },
    getMany: <T>(keys: readonly string[]) => {
      note("MGET", keys.join(","));
      return inner.getMany<T>(keys);
    },
    set: count("SET", inner.set.bind(inner)),
    setIfAbsent: count("SET NX", inner.setIfAbsent.bind(inner)),
    del: count("DEL", inner.del.bind(inner)),
    swapIfEquals: count("EVAL swap", inner.swapIfEquals.bind(inner)),
    deleteIfEquals: count("EVAL delete", inner.deleteIfEquals.bind(inner)),
    incrementWindow: count("MULTI incr", inner.incrementWindow.bind(inner)),
    ttlMs: count("PTTL", inner.ttlMs.bind(inner)),
    deleteByPrefix: count("SCAN+DEL", inner.deleteByPrefix.bind(inner)),
    size: () => {
      note("DBSIZE", "");
      return inner.size();
    },
    ping: () => {
      note("PING", "");
      return inner.ping();
    },
  };
}

interface Run {
  usage: UsagePerDay;
  listeners: number;
  /** Listener checks the watchdog runs made (one per linked listener per run). */
  watchdogChecks: number;
  /** Album covers the loop fetched for the snapshot (billed a round trip each). */
  artFetches: number;
  /** Write units by item kind (dynamo-bill.ts writeKind), cache commands by command and key. */
  wruByKind: Map<string, number>;
  cacheByKey: Map<string, number>;
  watchdogOutcomes: Map<string, number>;
  /** This process's CPU time per poll (ms). */
  tickCpuMs: { p50: number; p99: number; mean: number };
  plays: number;
  counted: number;
  medianTickMs: number;
  /** The day's new tracks through the analysis: LRCLIB and HF calls (free tiers: counted, not priced). */
  analysis: { tracks: number; lrclibCalls: number; hfCalls: number };
  capture: ReturnType<typeof captureReport>;
  /** Seconds sampled outside 3 s after a change, and how many of them the card was right. */
  card: { sampled: number; right: number; sampledMusic: number; rightMusic: number };
}

/**
 * One day of `listeners` listeners (the owner, then members), each with their own Spotify
 * account playing their own day of the same shape (its own tracks and timings: seed 42 + i),
 * one chain each, one watchdog run a minute looking at all of them side by side
 * (functions/watchdog.ts), one hourly and one analysis run an hour for the household.
 */
async function runDay(
  endpoint: string,
  policy: "adaptive" | "naive",
  hours = 4,
  listeners = 1,
): Promise<Run> {
  let now = Date.parse("2026-11-02T00:00:00.000Z");
  const day0 = now;
  // Several accounts: one fake each behind one Spotify (test/support/spotify-household.ts).
  const household = listeners > 1 ? await startSpotifyHousehold(listeners, { now: () => now }) : null;
  const fakes = household?.accounts ?? [await startFakeSpotify({ now: () => now })];
  const fake = fakes[0] as FakeSpotify;
  const client = createDocumentClient({ region: "us-east-1", endpoint });
  const tableName = `bench-day-${policy}-${hours}h-${listeners}l-${Date.now()}`;
  await ensureTable(client, tableName);
  const homes = createHousehold({ client, tableName });
  const store = homes.storeOf(OWNER_ID);
  const cacheCounter = { commands: 0, byKey: new Map<string, number>() };
  // The card check below reads the cache directly, so it is not billed as the app's commands.
  const memoryCache = createMemoryCache({ now: () => now });
  const meter: DynamoMeter = { writes: [], rru: 0 };
  const lyricsFakes: LyricsFakes = await startLyricsFakes();
  const config = loadConfig({
    TABLE_NAME: tableName,
    DYNAMODB_ENDPOINT: endpoint,
    // The fake serves the covers on loopback: allowed, so the loop fetches them as on AWS.
    ART_ALLOWED_HOSTS: "127.0.0.1",
    ...appEnvFor(household ?? fake),
    ...lyricsFakes.env,
  });
  const deps: Deps = await buildDeps(config, {
    household: homes,
    store,
    lyrics: createLyricsStore({ client, tableName }),
    cache: countingCache(memoryCache, cacheCounter),
    clock: () => new Date(now),
  });
  const ids = [OWNER_ID, ...Array.from({ length: listeners - 1 }, (_, i) => `member${i + 1}`)];
  for (const [i, id] of ids.entries()) {
    const account = fakes[i] as FakeSpotify;
    if (id !== OWNER_ID) {
      await homes.addListener({
        listener_id: id,
        handle: `member-${i}`,
        role: "member",
        spotify_id: account.user.id,
        display_name: null,
        created_at: new Date(now).toISOString(),
        last_seen_at: null,
        public: false,
      });
    }
    await linkSpotify(homes.storeOf(id), account, new Date(now), household?.issueTokens(i));
  }
  meterDynamo(client, meter);
  const allCalls = () => fakes.reduce((n, f) => n + f.calls.length, 0);
  const callsBefore = fakes.map((f) => f.calls.length);

  // Every listener's day, one script: each action runs on its listener's account.
  const actions = fakes
    .flatMap((f, i) => profile(day0, hours, 42 + i).actions.map((a) => ({ at: a.at, run: () => a.run(f) })))
    .sort((a, b) => a.at - b.at);
  // Once a second: is each listener's card (their snapshot in the cache) right about what their
  // player plays? Not counted for 3 s after each real change (the loop looks every 2-3 s).
  const card = { sampled: 0, right: 0, sampledMusic: 0, rightMusic: 0 };
  const truth = ids.map(() => ({ sig: "nothing", changedAt: -Infinity }));
  /** When the app looked at each listener's player (watchdog checks and polls), in order. */
  const looks: number[][] = ids.map(() => []);
  let nextSample = day0;
  const sampleUpTo = async (to: number) => {
    for (; nextSample <= to; nextSample += S) {
      while (actions.length > 0 && (actions[0]?.at ?? Infinity) <= nextSample) {
        const a = actions.shift();
        if (!a) break;
        now = a.at;
        a.run();
      }
      now = nextSample;
      for (const [i, id] of ids.entries()) {
        const t = truth[i] as { sig: string; changedAt: number };
        const cur = (fakes[i] as FakeSpotify).player.state().current;
        const sig = cur && cur.type !== "ad" ? cardSig(cur, cur.is_playing) : "nothing";
        if (sig !== t.sig) {
          t.sig = sig;
          t.changedAt = nextSample;
        }
        if (nextSample - t.changedAt < 3 * S) continue;
        const snapshot = await memoryCache.get<NowPlayingSnapshot>(cacheKeys.snapshot(id));
        const right = cardSig(snapshot?.item, snapshot?.is_playing ?? false) === sig;
        card.sampled++;
        if (right) card.right++;
        if (sig !== "nothing") {
          card.sampledMusic++;
          if (right) card.rightMusic++;
        }
      }
    }
  };
  const advance = async (to: number) => {
    await sampleUpTo(to);
    while (actions.length > 0 && (actions[0]?.at ?? Infinity) <= to) {
      const a = actions.shift();
      if (!a) break;
      now = a.at;
      a.run();
    }
    now = to;
  };
  const counts = {
    polls: 0,
    watchdogs: 0,
    watchdogChecks: 0,
    watchdogLogged: 0,
    watchdogMs: 0,
    transitions: 0,
  };
  const watchdogOutcomes = new Map<string, number>();
  const express = { executions: 0, seconds: 0 };
  const tickMs: number[] = [];
  /** CPU time (user + system) this process spent in each poll: the tick's own work, SDKs included. */
  const tickCpuMs: number[] = [];
  const end = day0 + DAY;

  if (policy === "adaptive") {
    // Each listener's chain: its state, when its execution started, when it polls next.
    const chains = ids.map((listener) => ({
      listener,
      state: null as LoopState | null,
      chainStart: null as number | null,
      nextPollAt: null as number | null,
    }));
    // EventBridge rate(1 minute) fires on every minute of the day, whether a loop lives or not.
    let nextWatchdogAt = day0;
    while (true) {
      const due = chains.reduce((a, c) => ((c.nextPollAt ?? Infinity) < (a.nextPollAt ?? Infinity) ? c : a));
      const at = Math.min(due.nextPollAt ?? Infinity, nextWatchdogAt);
      if (at >= end) break;
      await advance(at);
      if (at === nextWatchdogAt) {
        nextWatchdogAt += 60 * S;
        counts.watchdogs++;
        // One run looks at every linked listener side by side (functions/watchdog.ts): billed
        // its own work plus the slowest listener's Spotify round trips.
        let slowestCalls = 0;
        // Its reads as on AWS: the listeners, and each one's link.
        const linked = new Set(await linkedListeners(deps));
        for (const c of chains.filter((x) => linked.has(x.listener))) {
          const calls = fakes[ids.indexOf(c.listener)] as FakeSpotify;
          const before = calls.calls.length;
          let started = false;
          looks[ids.indexOf(c.listener)]?.push(now);
          const outcome = await watchdog(forListener(deps, c.listener), async () => {
            started = true;
          });
          counts.watchdogChecks++;
          watchdogOutcomes.set(outcome, (watchdogOutcomes.get(outcome) ?? 0) + 1);
          // functions/watchdog.ts logs a line unless it only found nothing playing.
          if (outcome !== "idle") counts.watchdogLogged++;
          slowestCalls = Math.max(slowestCalls, calls.calls.length - before);
          if (started && c.chainStart === null) {
            c.chainStart = now;
            c.state = null;
            express.executions++;
            c.nextPollAt = now;
          }
        }
        counts.watchdogMs += WATCHDOG_MS + slowestCalls * SPOTIFY_MS;
        continue;
      }
      const c = due;
      if (c.chainStart === null) break;
      looks[ids.indexOf(c.listener)]?.push(now);
      const t = performance.now();
      const cpu = process.cpuUsage();
      const out = await runPollTask(deps, {
        state: c.state,
        listener: c.listener,
        execution_started_at: new Date(c.chainStart).toISOString(),
      });
      const used = process.cpuUsage(cpu);
      tickCpuMs.push((used.user + used.system) / 1000);
      tickMs.push(performance.now() - t);
      counts.polls++;
      if (out.action === "stop") {
        express.seconds += (now - c.chainStart) / 1000 + LAMBDA_MS / 1000;
        c.chainStart = null;
        c.nextPollAt = null;
        continue;
      }
      c.state = out.state;
      if (out.action === "handover") {
        express.seconds += (now - c.chainStart) / 1000 + LAMBDA_MS / 1000;
        express.executions++;
        c.chainStart = now;
        // The successor polls at once, without a Wait.
        c.nextPollAt = now + LAMBDA_MS;
        continue;
      }
      c.nextPollAt = now + out.nextDelaySeconds * S;
    }
    await advance(end);
    for (const c of chains) if (c.chainStart !== null) express.seconds += (now - c.chainStart) / 1000;
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
      looks[0]?.push(now);
      const t = performance.now();
      const cpu = process.cpuUsage();
      const out = await tick(
        { listener: OWNER_ID, spotify, store, cache: deps.cache, clock: deps.clock, tracker: trackerOpts },
        { ...state, chain_started_at: now },
        { ...DEFAULT_LOOP_OPTIONS, chainMaxMs: Infinity },
      );
      const used = process.cpuUsage(cpu);
      tickCpuMs.push((used.user + used.system) / 1000);
      tickMs.push(performance.now() - t);
      state = out.state;
      counts.polls++;
      // Poll, Decide, Wait: a Standard workflow bills each transition.
      counts.transitions += 3;
      await advance(now + S);
    }
  }

  // Covers the loop fetched for the snapshot (the fake serves them under /img/): a round trip each.
  const artFetches = fakes
    .flatMap((f, i) => f.calls.slice(callsBefore[i]))
    .filter((c) => c.path.startsWith("/img/")).length;
  // The day's hourly analysis runs, at once: every track played today is new to it. Two in
  // three have lyrics on LRCLIB (the rest cost a search and a title analysis).
  const analysis = { tracks: 0, lrclibCalls: 0, hfCalls: 0 };
  if (policy === "adaptive") {
    const played = (await Promise.all(ids.map((id) => homes.storeOf(id).listTracksByCount(500)))).flatMap(
      (p) => p.items,
    );
    played.forEach((t, i) => {
      if (i % 3 === 2) return;
      lyricsFakes.lrclib.add({
        trackName: t.name,
        artistName: t.artists[0]?.name ?? "",
        albumName: t.album?.name ?? "",
        duration: t.duration_ms / 1000,
        plainLyrics: `words of ${t.name}\nmore words`,
        syncedLyrics: null,
        instrumental: false,
      });
    });
    const outcome = await runAnalysisJob(deps, "schedule", { runForMs: 10 * 60 * S });
    analysis.tracks = outcome.ran ? (outcome.result?.analyzed ?? 0) : 0;
    analysis.lrclibCalls = lyricsFakes.lrclib.total();
    analysis.hfCalls = lyricsFakes.hf.total();
  }
  await lyricsFakes.close();

  const { wru, bytes, byKind } = billWrites(meter.writes, await itemSizes(client, tableName));
  const usage: UsagePerDay = {
    spotifyCalls: allCalls() - callsBefore.reduce((a, b) => a + b, 0) - artFetches,
    lambdas: [
      // The poll logs at DEBUG only; the watchdog one INFO line a run; the hourly job one a run.
      { ...lambda("PollLoop", counts.polls, LAMBDA_MS, LAMBDA_MB, 0), extraMs: artFetches * SPOTIFY_MS },
      {
        ...lambda("Watchdog", counts.watchdogs, 0, LAMBDA_MB, 0),
        appLogBytes: counts.watchdogLogged * (300 + LOG_EVENT_OVERHEAD_BYTES),
        extraMs: counts.watchdogMs,
      },
      // One run an hour does every listener's jobs in turn (functions/hourly.ts).
      ...(policy === "adaptive"
        ? [lambda("Hourly", 24, HOURLY_MS * listeners, HOURLY_MB, 900 * listeners)]
        : []),
      ...(policy === "adaptive"
        ? [
            lambda(
              "Analysis",
              24,
              ANALYSIS_IDLE_MS + (analysis.tracks * ANALYSIS_TRACK_MS) / 24,
              ANALYSIS_MB,
              600,
            ),
          ]
        : []),
    ],
    expressExecutions: express.executions,
    expressSeconds: express.seconds,
    standardTransitions: counts.transitions,
    wru,
    rru: meter.rru,
    storageBytesPerDay: bytes,
    cacheCommands: cacheCounter.commands,
    httpRequests: 0,
  };
  // Each listener's hoard against their own account's truth, summed.
  const pages = await Promise.all(ids.map((id) => homes.storeOf(id).listPlays({ limit: 1000 })));
  const reports = pages.map((p, i) => captureReport((fakes[i] as FakeSpotify).plays, p.items, looks[i]));
  const capture = sumReports(reports);
  const stored = pages.flatMap((p) => p.items);
  if (household) await household.stop();
  else await fake.stop();
  tickMs.sort((a, b) => a - b);
  tickCpuMs.sort((a, b) => a - b);
  return {
    usage,
    artFetches,
    wruByKind: byKind,
    cacheByKey: cacheCounter.byKey,
    watchdogOutcomes,
    tickCpuMs: {
      p50: tickCpuMs[Math.floor(tickCpuMs.length / 2)] ?? 0,
      p99: tickCpuMs[Math.floor(tickCpuMs.length * 0.99)] ?? 0,
      mean: tickCpuMs.reduce((a, b) => a + b, 0) / Math.max(1, tickCpuMs.length),
    },
    plays: stored.length,
    counted: stored.filter((p) => p.counted).length,
    listeners,
    watchdogChecks: counts.watchdogChecks,
    medianTickMs: tickMs[Math.floor(tickMs.length / 2)] ?? 0,
    analysis,
    capture,
    card,
  };
}

/** Per 10,000 views of a card: API request, one Lambda run, its cache reads and log lines. */
const CARD_VIEWS = 10_000;
const CARD_MS = 25;
const CARD_MB = 256;
/**
 * Cache commands one view of the now-playing card makes: the snapshot, which carries the art
 * (test/e2e/card-cache-reads.test.ts counts them through the Upstash endpoint).
 */
const CARD_CACHE_COMMANDS = 1;

function cardViewsUsage(): UsagePerDay {
  return {
    spotifyCalls: 0,
    lambdas: [lambda("NowPlayingSvg", CARD_VIEWS, CARD_MS, CARD_MB, 0)],
    expressExecutions: 0,
    expressSeconds: 0,
    standardTransitions: 0,
    wru: 0,
    rru: 0,
    storageBytesPerDay: 0,
    cacheCommands: CARD_VIEWS * CARD_CACHE_COMMANDS,
    httpRequests: CARD_VIEWS,
  };
}

const usd = (v: number) => (v >= 10 ? `$${v.toFixed(2)}` : `$${v.toFixed(3)}`);
const pct = (right: number, of: number) => `${((100 * right) / Math.max(1, of)).toFixed(2)} %`;

function printCapture(label: string, run: Run) {
  const c = run.capture;
  console.log(
    `    ${label.padEnd(22)} real listens ${c.real}: live ${c.live}, missed by the live loop ${c.missedByLoop} ` +
      `(recovered by catch-up ${c.recovered}, left to the hourly job ${c.leftToHourly}, ` +
      `unlisted short listens lost ${c.missedUnlisted}, unlisted and never looked at ${c.unseen}), ` +
      `stored with no real listen ${c.extra}; ` +
      `start error median ${c.startErrorMedianMs} ms, max ${c.startErrorMaxMs} ms`,
  );
  console.log(
    `    ${"".padEnd(22)} card right ${pct(run.card.right, run.card.sampled)} of the day, ` +
      `${pct(run.card.rightMusic, run.card.sampledMusic)} while something is in the player ` +
      `(listener-seconds sampled outside 3 s after each change: ${run.card.sampled}, ${run.card.sampledMusic})`,
  );
  for (const l of c.lost)
    console.log(`    ${"".padEnd(22)} lost: ${l.listened_ms / 1000} s from ${l.started_at}`);
}

export async function simulatedDayBench(endpoint: string): Promise<void> {
  const profiles = (process.env.BENCH_DAY_HOURS ?? "1,4,10").split(",").map(Number);
  // A household: every listener with a day of their own (BENCH_DAY_LISTENERS=0 skips it).
  const household = Number(process.env.BENCH_DAY_LISTENERS ?? 5);
  const householdHours = Number(process.env.BENCH_DAY_LISTENER_HOURS ?? 4);
  console.log(`\n## Simulated days (prices: ${SOURCES})`);
  console.log(
    `  Lambda billed ${LAMBDA_MS} ms × ${LAMBDA_MB} MB per poll (+${SPOTIFY_MS} ms per cover fetched), ${WATCHDOG_MS} ms + ${SPOTIFY_MS} ms per Spotify call per watchdog run (every minute), ` +
      `system logs ${LAMBDA_SYSTEM_LOG_LEVEL}; DynamoDB writes billed as AWS does (transactions ×2, index writes, failed conditions)`,
  );
  const runs: [string, Run][] = [];
  for (const h of profiles) {
    const { musicMs } = profile(0, h);
    runs.push([
      `adaptive ${h} h/day (${(musicMs / 3_600_000).toFixed(1)} h)`,
      await runDay(endpoint, "adaptive", h),
    ]);
  }
  if (household > 1) {
    runs.push([
      `${household} listeners × ${householdHours} h/day`,
      await runDay(endpoint, "adaptive", householdHours, household),
    ]);
  }
  if (!process.env.BENCH_SKIP_NAIVE)
    runs.push(["naive 1 s Standard, 4 h", await runDay(endpoint, "naive", 4)]);

  const cols = runs.map(([label]) => label);
  const row = (k: string, values: string[]) =>
    console.log(
      `  ${k.padEnd(40)} ${values.map((v, i) => v.padStart(Math.max(12, (cols[i] ?? "").length))).join("  ")}`,
    );
  row("per day", cols);
  row(
    "listeners (one chain each)",
    runs.map(([, r]) => String(r.listeners)),
  );
  row(
    "plays recorded (counted)",
    runs.map(([, r]) => `${r.plays} (${r.counted})`),
  );
  row(
    "Spotify calls / cover fetches",
    runs.map(([, r]) => `${r.usage.spotifyCalls} / ${r.artFetches}`),
  );
  row(
    "analysis: new tracks / LRCLIB / HF calls",
    runs.map(([, r]) => `${r.analysis.tracks} / ${r.analysis.lrclibCalls} / ${r.analysis.hfCalls}`),
  );
  row(
    "watchdog checks (listeners × runs)",
    runs.map(([, r]) => String(r.watchdogChecks)),
  );
  for (const name of ["PollLoop", "Watchdog", "Hourly", "Analysis"]) {
    row(
      `${name} invocations`,
      runs.map(([, r]) => String(r.usage.lambdas.find((l) => l.name === name)?.invocations ?? 0)),
    );
  }
  row(
    "Express executions / seconds",
    runs.map(([, r]) => `${r.usage.expressExecutions} / ${r.usage.expressSeconds.toFixed(0)}`),
  );
  row(
    "Standard transitions",
    runs.map(([, r]) => String(r.usage.standardTransitions)),
  );
  row(
    "DynamoDB WRU / RRU",
    runs.map(([, r]) => `${r.usage.wru} / ${r.usage.rru.toFixed(0)}`),
  );
  row(
    "table bytes added",
    runs.map(([, r]) => String(r.usage.storageBytesPerDay)),
  );
  row(
    "cache commands",
    runs.map(([, r]) => String(r.usage.cacheCommands)),
  );
  row(
    "median tick here (ms)",
    runs.map(([, r]) => r.medianTickMs.toFixed(1)),
  );
  row(
    "poll CPU here p50 / p99 / mean (ms)",
    runs.map(
      ([, r]) =>
        `${r.tickCpuMs.p50.toFixed(2)} / ${r.tickCpuMs.p99.toFixed(1)} / ${r.tickCpuMs.mean.toFixed(2)}`,
    ),
  );

  console.log("  cost per month at list price");
  const bills = runs.map(([, r]) => monthlyBill(r.usage));
  for (const line of BILL_LINES)
    row(
      `  ${line}`,
      bills.map((b) => usd(b.lines[line])),
    );
  row(
    "  total",
    bills.map((b) => usd(b.total)),
  );
  row(
    "  total per listener",
    bills.map((b, i) => usd(b.total / (runs[i]?.[1].listeners ?? 1))),
  );
  row(
    "  total within Upstash's free tier",
    bills.map((b) => usd(b.total - b.lines["Upstash commands"])),
  );
  const cards = monthlyBill(cardViewsUsage(), 1);
  console.log(
    `  per ${CARD_VIEWS.toLocaleString("en")} now-playing card views: ${usd(cards.total)} (` +
      BILL_LINES.filter((l) => cards.lines[l] > 0)
        .map((l) => `${l} ${usd(cards.lines[l])}`)
        .join(", ") +
      ")",
  );

  for (const [label, r] of runs) {
    const counted = Math.max(1, r.counted);
    const top = (m: Map<string, number>) =>
      [...m]
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v}`)
        .join(", ");
    console.log(
      `  ${label}: where the write units go (${(r.usage.wru / counted).toFixed(1)} WRU per counted play)`,
    );
    console.log(`    ${top(r.wruByKind)}`);
    console.log(`  ${label}: cache commands by command and key`);
    console.log(`    ${top(r.cacheByKey)}`);
    console.log(`  ${label}: watchdog outcomes: ${top(r.watchdogOutcomes)}`);
  }
  console.log(
    "  capture, against what the fake really played (targets: 0 left to the hourly job, card ≥ 99 %)",
  );
  for (const [label, run] of runs) printCapture(label, run);
}
