import { randomUUID } from "node:crypto";
import { setTimeout as sleepFor } from "node:timers/promises";
import { cacheKeys } from "#shared/cache/keys.ts";
import { type LoopState, noteLease, startLoopState, tick } from "#shared/capture/loop.ts";
import { recordListen, toPlay, toTrackInfo } from "#shared/capture/record.ts";
import { loopDepsOf, reportPoll } from "#shared/capture/runner.ts";
import type { LoopStarter } from "#shared/capture/starter.ts";
import { watchdog } from "#shared/capture/watchdog.ts";
import { type Deps, forListener } from "#shared/deps.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import { flush } from "#shared/domain/tracker.ts";
import { logger } from "#shared/logger.ts";

/**
 * The playback loop on one machine: the same tick as the Step Functions task, honouring the
 * same nextDelaySeconds, and the same watchdog decision every minute while nothing plays.
 * One process has no 5-minute limit, so a "handover" just carries on. It is also the process's
 * loop starter (`deps.startLoop`): linking Spotify or a manual poll wakes it at once instead of
 * waiting for the next watchdog minute.
 */
export interface LocalLoop {
  stop(): Promise<void>;
  /** How many ticks or watchdog checks the loop has made (tests, logs). */
  readonly ticks: () => number;
  /** Starts the loop now unless it runs (from `handover` when given). */
  readonly kick: LoopStarter;
}

export interface LocalLoopOptions {
  watchdogIntervalMs?: number;
  /** Replaced in tests by a virtual clock that advances instead of waiting. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const realSleep = async (ms: number, signal: AbortSignal) => {
  await sleepFor(ms, undefined, { signal }).catch(() => undefined);
};

/** One listener's loop (`deps` acts for that listener); startLocalLoops runs one per listener. */
export function startLocalLoop(deps: Deps, opts: LocalLoopOptions = {}): LocalLoop {
  const sleep = opts.sleep ?? realSleep;
  const watchdogMs = opts.watchdogIntervalMs ?? 60_000;
  const abort = new AbortController();
  const owner = `local-${randomUUID()}`;
  let state: LoopState | null = null;
  let count = 0;
  // A kick waiting to be taken up: the state to continue from, or null to start fresh.
  let kicked: { handover: LoopState | null } | null = null;
  let wake = new AbortController();
  const nap = async (ms: number) => {
    wake = new AbortController();
    await sleep(ms, AbortSignal.any([abort.signal, wake.signal]));
  };
  const startChain = async () => {
    state = await startLoopState(deps.cache, owner, deps.clock().getTime(), deps.listener);
  };

  const run = async () => {
    // A note left by a process that died (its lease died with its memory cache) must not keep
    // this one's watchdog resting: it is only a hint, the cache's lease decides.
    await noteLease(deps.store, null);
    while (!abort.signal.aborted) {
      count++;
      if (!state && kicked) {
        const { handover } = kicked;
        kicked = null;
        if (handover) state = handover;
        else await startChain();
      }
      if (!state) {
        const outcome = await watchdog(deps, startChain);
        if (!state) {
          logger.debug("local watchdog", { outcome });
          await nap(watchdogMs);
          continue;
        }
      }
      const current: LoopState = state;
      const r = await tick(loopDepsOf(deps), { ...current, chain_started_at: deps.clock().getTime() });
      await reportPoll(deps.cache, deps.listener, r, deps.clock().getTime());
      for (const x of r.recorded) {
        if (x.result === "recorded")
          logger.info("recorded", { track_id: x.track_id, listened_at: x.listened_at, counted: x.counted });
      }
      state = r.action === "stop" ? null : r.state;
      if (r.action === "stop") {
        logger.info("playback loop paused; the watchdog looks again every minute", {
          listener: deps.listener,
          reason: r.stopReason,
        });
        await nap(watchdogMs);
      } else {
        await nap(r.nextDelaySeconds * 1000);
      }
    }
  };

  const done = run().catch((err: unknown) => logger.error("local loop crashed", err as Error));
  const kick: LoopStarter = async (handover) => {
    if (state || abort.signal.aborted) return;
    kicked = { handover: handover ?? null };
    wake.abort();
  };
  return {
    ticks: () => count,
    kick,
    async stop() {
      abort.abort();
      await done;
      // Shutting down must not lose the listen in progress.
      const last: LoopState | null = state;
      if (last) {
        for (const f of [...last.pending, ...flush(last.tracker)]) {
          await recordListen(deps.store, toPlay(f, "poll"), toTrackInfo(f)).catch((err: unknown) =>
            logger.error("could not store the last listen on shutdown", err as Error),
          );
        }
        await deps.cache.del(cacheKeys.lease(deps.listener)).catch(() => undefined);
        await noteLease(deps.store, null);
      }
    },
  };
}

export interface LocalLoops {
  stop(): Promise<void>;
  /** The loop of each listener that has one (tests, logs). */
  readonly loops: () => ReadonlyMap<string, LocalLoop>;
}

/**
 * One loop per listener, as the Step Functions chains are on AWS: the owner's always (its
 * watchdog waits for a link), and each member's that has linked Spotify. It is the process's
 * loop starter (`deps.starters`): a member linking for the first time gets a loop at once.
 */
export async function startLocalLoops(deps: Deps, opts: LocalLoopOptions = {}): Promise<LocalLoops> {
  const loops = new Map<string, LocalLoop>();
  let stopped = false;
  const loopOf = (listener: string): LocalLoop | undefined => {
    if (stopped) return undefined;
    let loop = loops.get(listener);
    if (!loop) {
      loop = startLocalLoop(forListener(deps, listener), opts);
      loops.set(listener, loop);
    }
    return loop;
  };
  deps.starters = (listener) => async (handover) => loopOf(listener)?.kick(handover);
  deps.startLoop = deps.starters(deps.listener);
  loopOf(OWNER_ID);
  for (const l of await deps.household.listListeners()) {
    if (l.listener_id === OWNER_ID) continue;
    const link = await deps.household.storeOf(l.listener_id).getSpotifyLink();
    if (link && !link.needs_reauth) loopOf(l.listener_id);
  }
  return {
    loops: () => loops,
    async stop() {
      stopped = true;
      deps.starters = undefined;
      deps.startLoop = undefined;
      await Promise.all([...loops.values()].map((l) => l.stop()));
    },
  };
}
