import { randomUUID } from "node:crypto";
import type { Deps } from "../deps.ts";
import { createSpotifyClient } from "../spotify/client.ts";
import { backfill, JOB_CATCH_UP, runJob } from "./backfill.ts";
import {
  type CatchUpOutcome,
  DEFAULT_LOOP_OPTIONS,
  type LoopDeps,
  type LoopOptions,
  type LoopState,
  startLoopState,
  type TickResult,
  tick,
} from "./loop.ts";

/** What a tick needs, from the process's dependencies (the Spotify client over its config). */
export function loopDepsOf(deps: Deps): LoopDeps {
  const spotify = createSpotifyClient(deps);
  const loopDeps: LoopDeps = { spotify, store: deps.store, cache: deps.cache, clock: deps.clock };
  return { ...loopDeps, catchUp: () => catchUp(loopDeps) };
}

/**
 * The catch-up a loop runs when it starts (and after a 429): the recently-played backfill,
 * recorded as a job run. No entry is deferred: the loop runs it after storing what it finished,
 * and what it has open is not listed yet.
 */
export async function catchUp(deps: LoopDeps): Promise<CatchUpOutcome> {
  const outcome = await runJob(deps, JOB_CATCH_UP, "loop", () => backfill(deps, { loopLive: false }), {
    parkOnQuota: false,
  });
  if (outcome.ok) return { ok: true, inserted: outcome.result.inserted };
  return { ok: false, fault: outcome.fault };
}

/**
 * The Step Functions Poll task's contract. The state machine passes the previous output back
 * in (`state`) with the execution's start time, and branches on `action`:
 * wait → Wait(nextDelaySeconds) → Poll; handover → start a successor with `state`; stop → end.
 */
export interface PollTaskInput {
  state?: LoopState | null;
  /** `$$.Execution.StartTime`: a successor execution restarts the 5-minute clock. */
  execution_started_at?: string;
}

export interface PollTaskOutput {
  state: LoopState;
  action: TickResult["action"];
  nextDelaySeconds: number;
  stopReason?: TickResult["stopReason"];
  recorded: number;
  fault?: string;
}

export async function runPollTask(
  deps: Deps,
  input: PollTaskInput,
  opts: LoopOptions = DEFAULT_LOOP_OPTIONS,
): Promise<PollTaskOutput> {
  const now = deps.clock().getTime();
  const startedAt = input.execution_started_at ? Date.parse(input.execution_started_at) : now;
  const base = input.state ?? (await startLoopState(deps.cache, randomUUID(), now));
  const state: LoopState = { ...base, chain_started_at: Number.isNaN(startedAt) ? now : startedAt };
  const r = await tick(loopDepsOf(deps), state, opts);
  return {
    state: r.state,
    action: r.action,
    nextDelaySeconds: r.nextDelaySeconds,
    ...(r.stopReason ? { stopReason: r.stopReason } : {}),
    recorded: r.recorded.filter((x) => x.result === "recorded").length,
    ...(r.fault ? { fault: r.fault.type } : {}),
  };
}
