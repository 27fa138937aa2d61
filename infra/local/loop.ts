import { randomUUID } from "node:crypto";
import { setTimeout as sleepFor } from "node:timers/promises";
import { CACHE_KEYS, type LoopState, startLoopState, tick } from "#shared/capture/loop.ts";
import { recordListen, toPlay, toTrackInfo } from "#shared/capture/record.ts";
import { loopDepsOf, reportPoll } from "#shared/capture/runner.ts";
import { watchdog } from "#shared/capture/watchdog.ts";
import type { Deps } from "#shared/deps.ts";
import { flush } from "#shared/domain/tracker.ts";
import { logger } from "#shared/logger.ts";

/**
 * The playback loop on one machine: the same tick as the Step Functions task, honouring the
 * same nextDelaySeconds, and the same watchdog decision every minute while nothing plays.
 * One process has no 5-minute limit, so a "handover" just carries on.
 */
export interface LocalLoop {
  stop(): Promise<void>;
  /** How many ticks or watchdog checks the loop has made (tests, logs). */
  readonly ticks: () => number;
}

export interface LocalLoopOptions {
  watchdogIntervalMs?: number;
  /** Replaced in tests by a virtual clock that advances instead of waiting. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

const realSleep = async (ms: number, signal: AbortSignal) => {
  await sleepFor(ms, undefined, { signal }).catch(() => undefined);
};

export function startLocalLoop(deps: Deps, opts: LocalLoopOptions = {}): LocalLoop {
  const sleep = opts.sleep ?? realSleep;
  const watchdogMs = opts.watchdogIntervalMs ?? 60_000;
  const abort = new AbortController();
  const owner = `local-${randomUUID()}`;
  let state: LoopState | null = null;
  let count = 0;

  const run = async () => {
    while (!abort.signal.aborted) {
      count++;
      if (!state) {
        const outcome = await watchdog(deps, async () => {
          state = await startLoopState(deps.cache, owner, deps.clock().getTime());
        });
        if (!state) {
          logger.debug("local watchdog", { outcome });
          await sleep(watchdogMs, abort.signal);
          continue;
        }
      }
      const current: LoopState = state;
      const r = await tick(loopDepsOf(deps), { ...current, chain_started_at: deps.clock().getTime() });
      await reportPoll(deps.cache, r, deps.clock().getTime());
      for (const x of r.recorded) {
        if (x.result === "recorded")
          logger.info("recorded", { track_id: x.track_id, listened_at: x.listened_at, counted: x.counted });
      }
      state = r.action === "stop" ? null : r.state;
      if (r.action === "stop") {
        logger.info("playback loop paused; the watchdog looks again every minute", { reason: r.stopReason });
        await sleep(watchdogMs, abort.signal);
      } else {
        await sleep(r.nextDelaySeconds * 1000, abort.signal);
      }
    }
  };

  const done = run().catch((err: unknown) => logger.error("local loop crashed", err as Error));
  return {
    ticks: () => count,
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
        await deps.cache.del(CACHE_KEYS.lease).catch(() => undefined);
      }
    },
  };
}
