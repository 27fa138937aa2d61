import { randomUUID } from "node:crypto";
import { cacheKeys, cacheTtlMs } from "../cache/keys.ts";
import { artForSnapshot, artOptionsOf } from "../cards/art.ts";
import { type Deps, forListener } from "../deps.ts";
import { OWNER_ID } from "../domain/listener.ts";
import type { FinishedListen } from "../domain/tracker.ts";
import { logger } from "../logger.ts";
import { createSpotifyClient } from "../spotify/client.ts";
import { backfill, JOB_CATCH_UP, runJob } from "./backfill.ts";
import {
  boundPending,
  type CatchUpOutcome,
  DEFAULT_LOOP_OPTIONS,
  type LoopDeps,
  type LoopOptions,
  type LoopState,
  noteLease,
  startLoopState,
  type TickResult,
  tick,
} from "./loop.ts";

/**
 * Spotify inside a tick: shorter than the client's default (5 s × 3 attempts) so a token
 * refresh plus a player call, both at their worst (2 × 3 s + 0.5 s back-off each, about 13 s),
 * end inside the Poll function's 20 s with room for the writes.
 */
export const LOOP_SPOTIFY_CLIENT = { timeoutMs: 3000, retries: 1 } as const;

/** What a tick needs, from the process's dependencies (the Spotify client over its config). */
export function loopDepsOf(deps: Deps): LoopDeps {
  const spotify = createSpotifyClient(deps, LOOP_SPOTIFY_CLIENT);
  const art = artOptionsOf(deps.config);
  const loopDeps: LoopDeps = {
    listener: deps.listener,
    spotify,
    store: deps.store,
    cache: deps.cache,
    clock: deps.clock,
    art: (album) => artForSnapshot(deps.cache, album, art),
  };
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
  /** Whose loop (the execution input names it; older states carry it, or mean the owner). */
  listener?: string | null;
  /** `$$.Execution.StartTime`: a successor execution restarts the 5-minute clock. */
  execution_started_at?: string;
}

export interface PollTaskOutput {
  state: LoopState;
  /** Passed on to the next Poll and to a successor execution. */
  listener: string;
  action: TickResult["action"];
  nextDelaySeconds: number;
  stopReason?: TickResult["stopReason"];
  recorded: number;
  fault?: string;
}

/** The listener a task acts for: the execution's, else its state's, else (older chains) the owner. */
export const taskListener = (input: { state?: LoopState | null; listener?: string | null }) =>
  input.listener ?? input.state?.listener ?? OWNER_ID;

/** What /health shows of the loop (cacheKeys.status). */
export interface LoopStatus {
  last_successful_poll_at: string;
}

const STATUS_EVERY_MS = 5 * 60_000;
/** Per cache (one per Lambda container; one per test world), per listener. */
const lastStatusAt = new WeakMap<Deps["cache"], Map<string, number>>();

/**
 * Notes the time of a poll Spotify answered, at most once every 5 minutes per process: one
 * cache command per 5 minutes instead of one per 1-2 s tick (Upstash bills per command; once
 * a minute was a third of the loop's commands).
 */
export async function reportPoll(
  cache: Deps["cache"],
  listener: string,
  result: Pick<TickResult, "fault">,
  now: number,
) {
  const byListener = lastStatusAt.get(cache) ?? new Map<string, number>();
  lastStatusAt.set(cache, byListener);
  const last = byListener.get(listener);
  if (result.fault || (last !== undefined && now - last < STATUS_EVERY_MS)) return;
  byListener.set(listener, now);
  const status: LoopStatus = { last_successful_poll_at: new Date(now).toISOString() };
  await cache.set(cacheKeys.status(listener), status, { ttlMs: cacheTtlMs.status }).catch(() => {
    byListener.delete(listener);
  });
}

export async function runPollTask(
  processDeps: Deps,
  input: PollTaskInput,
  opts: LoopOptions = DEFAULT_LOOP_OPTIONS,
): Promise<PollTaskOutput> {
  const listener = taskListener(input);
  const deps = forListener(processDeps, listener);
  const now = deps.clock().getTime();
  const startedAt = input.execution_started_at ? Date.parse(input.execution_started_at) : now;
  const base = input.state ?? (await startLoopState(deps.cache, randomUUID(), now, listener));
  const state: LoopState = {
    ...base,
    listener,
    chain_started_at: Number.isNaN(startedAt) ? now : startedAt,
  };
  const r = await tick(loopDepsOf(deps), state, opts);
  await reportPoll(deps.cache, listener, r, deps.clock().getTime());
  return {
    state: r.state,
    listener,
    action: r.action,
    nextDelaySeconds: r.nextDelaySeconds,
    ...(r.stopReason ? { stopReason: r.stopReason } : {}),
    recorded: r.recorded.filter((x) => x.result === "recorded").length,
    ...(r.fault ? { fault: r.fault.type } : {}),
  };
}

/** The error a Catch hands on (`ResultPath: $.failure`): Step Functions' Error and Cause. */
export interface TaskFailure {
  Error?: string;
  Cause?: string;
}

/** The Release task's input: what the failed execution carried, and why it failed. */
export interface ReleaseTaskInput {
  release: true;
  state?: LoopState | null;
  listener?: string | null;
  failure?: TaskFailure;
  execution_started_at?: string;
}

export function isReleaseInput(input: unknown): input is ReleaseTaskInput {
  return typeof input === "object" && input !== null && (input as { release?: unknown }).release === true;
}

/** Job name of the loop's failure records (`JOB#playback-loop`, /admin/system-stats). */
export const LOOP_JOB = "playback-loop";

/**
 * After a Poll or Handover failed for good (a Catch): let go of the lease now instead of
 * leaving the watchdog blocked for its 6 minutes, keep the unstored listens for the next
 * chain, and record the failure where /admin/system-stats and the logs show it.
 */
export async function runReleaseTask(
  processDeps: Deps,
  input: ReleaseTaskInput,
): Promise<{ released: boolean }> {
  const deps = forListener(processDeps, taskListener(input));
  const now = deps.clock();
  const state = input.state ?? null;
  const error = input.failure?.Error ?? "unknown";
  // A Lambda error's Cause is its JSON (errorMessage, stack): enough to find it, not all of it.
  const cause = (input.failure?.Cause ?? "").slice(0, 500);
  logger.error("playback loop task failed; releasing the lease", { error, cause, owner: state?.owner });
  let released = false;
  if (state) {
    released = await deps.cache
      .deleteIfEquals(cacheKeys.lease(deps.listener), state.owner)
      .catch(() => false);
    if (released) await noteLease(deps.store, null);
    if (state.pending.length > 0) {
      const parkedKey = cacheKeys.parked(deps.listener);
      const parked = (await deps.cache.get<FinishedListen[]>(parkedKey).catch(() => null)) ?? [];
      await deps.cache
        .set(parkedKey, boundPending([...parked, ...state.pending]), { ttlMs: cacheTtlMs.parked })
        .catch((err: unknown) => logger.error("could not park pending listens", { error: String(err) }));
    }
  }
  const startedAt =
    input.execution_started_at ?? (state ? new Date(state.chain_started_at).toISOString() : null);
  await deps.store.recordJobRun({
    job: LOOP_JOB,
    started_at: startedAt ?? now.toISOString(),
    finished_at: now.toISOString(),
    ok: false,
    result: { error, cause, released, polls: state?.polls ?? 0, pending: state?.pending.length ?? 0 },
  });
  return { released };
}
