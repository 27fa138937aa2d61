import { randomUUID } from "node:crypto";
import { cacheKeys, cacheTtlMs } from "../cache/keys.ts";
import type { Deps } from "../deps.ts";
import type { NowPlayingSnapshot } from "../domain/tracker.ts";
import { kickLoop } from "./kick.ts";
import {
  DEFAULT_LOOP_OPTIONS,
  type LoopState,
  noteLease,
  QUOTA_LEASE,
  startLoopState,
  type TickResult,
  tick,
} from "./loop.ts";
import { loopDepsOf } from "./runner.ts";

const MANUAL_OWNER = "manual";

export interface ManualPollResult {
  loop: "running" | "started" | "idle";
  recorded: TickResult["recorded"];
  now_playing: NowPlayingSnapshot | null;
  next_delay_seconds: number | null;
  fault: TickResult["fault"] | null;
}

/**
 * `POST /spotify/poll/current-playback`: one poll now. When the playback loop is alive it
 * already records everything, so this only reports (a second tracker would race it); when it
 * is not, this runs one tick (catching up from recently-played), lets go of the lease, and
 * starts the loop from the tracker state it built, so what plays now is followed from here
 * on. Where no loop can be started, the state is kept in the cache for the next call.
 */
export async function manualPoll(deps: Deps): Promise<ManualPollResult> {
  const leaseKey = cacheKeys.lease(deps.listener);
  const snapshotKey = cacheKeys.snapshot(deps.listener);
  const stateKey = cacheKeys.manualState(deps.listener);
  const holder = await deps.cache.get<string>(leaseKey);
  if (holder === QUOTA_LEASE) {
    const ttl = await deps.cache.ttlMs(leaseKey);
    const retryAfterSeconds = Math.max(1, Math.ceil((ttl ?? 60_000) / 1000));
    return {
      loop: "idle",
      recorded: [],
      now_playing: null,
      next_delay_seconds: retryAfterSeconds,
      fault: { type: "rate_limited", retryAfterSeconds, reason: null },
    };
  }
  if (holder && holder !== MANUAL_OWNER) {
    return {
      loop: "running",
      recorded: [],
      now_playing: await snapshotWithoutArt(deps.cache, snapshotKey),
      next_delay_seconds: null,
      fault: null,
    };
  }
  const now = deps.clock().getTime();
  const saved = await deps.cache.get<LoopState>(stateKey);
  const state = saved ?? (await startLoopState(deps.cache, MANUAL_OWNER, now, deps.listener));
  const r = await tick(
    loopDepsOf(deps),
    { ...state, owner: MANUAL_OWNER, lease_until: 0, chain_started_at: now },
    DEFAULT_LOOP_OPTIONS,
  );
  await deps.cache.del(leaseKey);
  await noteLease(deps.store, null);
  // Handed over under a new owner that has not taken the lease: two kicks cannot both run.
  const handover: LoopState = { ...r.state, owner: randomUUID(), lease_until: 0 };
  const kicked = r.action === "stop" ? null : await kickLoop(deps, handover);
  if (kicked === "started") await deps.cache.del(stateKey);
  else await deps.cache.set(stateKey, r.state, { ttlMs: cacheTtlMs.manualState });
  return {
    loop: kicked === "started" ? "started" : "idle",
    recorded: r.recorded,
    now_playing: await snapshotWithoutArt(deps.cache, snapshotKey),
    next_delay_seconds: r.nextDelaySeconds,
    fault: r.fault ?? null,
  };
}

/** The snapshot as the poll route shows it: the embedded art is for the cards, not this JSON. */
async function snapshotWithoutArt(cache: Deps["cache"], key: string): Promise<NowPlayingSnapshot | null> {
  const snapshot = await cache.get<NowPlayingSnapshot>(key);
  if (!snapshot) return null;
  const { art: _art, ...rest } = snapshot;
  return rest;
}
