import { randomUUID } from "node:crypto";
import type { Deps } from "../deps.ts";
import type { NowPlayingSnapshot } from "../domain/tracker.ts";
import { kickLoop } from "./kick.ts";
import {
  CACHE_KEYS,
  DEFAULT_LOOP_OPTIONS,
  type LoopState,
  noteLease,
  QUOTA_LEASE,
  startLoopState,
  type TickResult,
  tick,
} from "./loop.ts";
import { loopDepsOf } from "./runner.ts";

const MANUAL_STATE_KEY = "loop:manual-state";
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
  const holder = await deps.cache.get<string>(CACHE_KEYS.lease);
  if (holder === QUOTA_LEASE) {
    const ttl = await deps.cache.ttlMs(CACHE_KEYS.lease);
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
      now_playing: await snapshotWithoutArt(deps.cache),
      next_delay_seconds: null,
      fault: null,
    };
  }
  const now = deps.clock().getTime();
  const saved = await deps.cache.get<LoopState>(MANUAL_STATE_KEY);
  const state = saved ?? (await startLoopState(deps.cache, MANUAL_OWNER, now));
  const r = await tick(
    loopDepsOf(deps),
    { ...state, owner: MANUAL_OWNER, lease_until: 0, chain_started_at: now },
    DEFAULT_LOOP_OPTIONS,
  );
  await deps.cache.del(CACHE_KEYS.lease);
  await noteLease(deps.store, null);
  // Handed over under a new owner that has not taken the lease: two kicks cannot both run.
  const handover: LoopState = { ...r.state, owner: randomUUID(), lease_until: 0 };
  const kicked = r.action === "stop" ? null : await kickLoop(deps, handover);
  if (kicked === "started") await deps.cache.del(MANUAL_STATE_KEY);
  else await deps.cache.set(MANUAL_STATE_KEY, r.state, { ttlMs: 6 * 3_600_000 });
  return {
    loop: kicked === "started" ? "started" : "idle",
    recorded: r.recorded,
    now_playing: await snapshotWithoutArt(deps.cache),
    next_delay_seconds: r.nextDelaySeconds,
    fault: r.fault ?? null,
  };
}

/** The snapshot as the poll route shows it: the embedded art is for the cards, not this JSON. */
async function snapshotWithoutArt(cache: Deps["cache"]): Promise<NowPlayingSnapshot | null> {
  const snapshot = await cache.get<NowPlayingSnapshot>(CACHE_KEYS.snapshot);
  if (!snapshot) return null;
  const { art: _art, ...rest } = snapshot;
  return rest;
}
