import { randomUUID } from "node:crypto";
import { cacheKeys, cacheTtlMs } from "../cache/keys.ts";
import type { Cache } from "../cache/port.ts";
import type { Clock } from "../clock.ts";
import { OWNER_ID } from "../domain/listener.ts";
import {
  DEFAULT_TRACKER_OPTIONS,
  type FinishedListen,
  flush,
  initialTrackerState,
  type NowPlayingSnapshot,
  step,
  type TrackerOptions,
  type TrackerState,
} from "../domain/tracker.ts";
import { logger } from "../logger.ts";
import { type PlayableItem, type SpotifyApi, SpotifyError, type SpotifyFault } from "../spotify/types.ts";
import type { Store } from "../store/port.ts";
import { recordListen, toPlay, toTrackInfo } from "./record.ts";

/**
 * One tick of the playback loop, shared by the Step Functions task, the local loop and the
 * benchmarks: hold the lease, look at the player (unless Spotify asked us to wait), run the
 * tracker, record what finished, write the snapshot if it changed, and say what to do next.
 * It never throws: a failure becomes a longer wait, and unrecorded listens ride along in
 * `pending` until they are stored.
 */

export interface LoopState {
  v: 1;
  /**
   * Whose player this chain follows: it rides the Step Functions payload, so a successor or a
   * Release acts for the same listener. Absent in states of the single-listener version: the owner.
   */
  listener?: string;
  tracker: TrackerState;
  pending: FinishedListen[];
  /** Who holds the lease; a successor execution inherits it. */
  owner: string;
  lease_until: number;
  /** When the current Express execution started (continue-as-new before 5 minutes). */
  chain_started_at: number;
  polls: number;
  /**
   * Tries left to catch up from recently-played: set when a chain starts and after a 429, so
   * listens that ended while no loop ran (or while Spotify refused to answer) are stored now,
   * not by the hourly job. Optional: states handed over by an older version lack it.
   */
  catch_up?: number;
  /**
   * When this loop last saw its lease in the cache (epoch ms): a member's loop looks again
   * every `removalCheckMs` to notice a removal. Optional: states of an older version lack it
   * (they look on their first tick).
   */
  lease_seen_at?: number;
}

export type LoopAction = "wait" | "handover" | "stop";

export interface TickResult {
  state: LoopState;
  action: LoopAction;
  nextDelaySeconds: number;
  stopReason?: "idle" | "revoked" | "not_linked" | "lease" | "quota" | "removed";
  recorded: { track_id: string; listened_at: string; counted: boolean; result: "recorded" | "duplicate" }[];
  snapshotWritten: boolean;
  fault?: SpotifyFault;
  /** Listens the catch-up stored this tick (estimated ones the loop never saw). */
  caughtUp?: number;
}

/** What a catch-up did: the recently-played backfill run at a loop start (runner.ts wires it). */
export type CatchUpOutcome = { ok: true; inserted: number } | { ok: false; fault: SpotifyFault | null };

export interface LoopDeps {
  /** The listener whose player, hoard and cache keys this loop uses. */
  listener: string;
  spotify: SpotifyApi;
  store: Store;
  cache: Cache;
  clock: Clock;
  tracker?: TrackerOptions;
  /** Stores what recently-played lists and nothing stored matches; none: no catch-up. */
  catchUp?: () => Promise<CatchUpOutcome>;
  /** The album art the snapshot carries (shared/cards/art.ts artForSnapshot); none: no art. */
  art?: (album: PlayableItem["album"]) => Promise<string | null | undefined>;
}

export interface LoopOptions {
  /** Lease lifetime; longer than the longest wait between two ticks. */
  leaseMs: number;
  /** Renew the lease when less than this remains. */
  leaseRenewMs: number;
  /** Hand over to a successor execution after this long (Express runs at most 5 minutes). */
  chainMaxMs: number;
  /** A wait longer than this (a quota back-off) ends the chain instead; the watchdog resumes. */
  maxWaitSeconds: number;
  /**
   * A member's loop reads its lease at least this often (one cache command), so a removal
   * (REMOVED_LEASE) stops it within a few polls, before it asks Spotify again.
   */
  removalCheckMs: number;
}

export const DEFAULT_LOOP_OPTIONS: LoopOptions = {
  // Outlives the longest wait (90 s) plus a poll. A crashed chain blocks the watchdog for at
  // most this long (backfill covers the gap). Renewed (2 cache commands) only 250 s after it was
  // last set: an Express chain hands over every 4 minutes, and the handover's swap sets it
  // anyway, so on AWS it is never renewed separately (Upstash bills per command).
  leaseMs: 360_000,
  leaseRenewMs: 110_000,
  chainMaxMs: 4 * 60_000,
  maxWaitSeconds: 90,
  // Nothing a tick already reads could carry the mark: the access token lives in the process's
  // memory and the lease is renewed every ~4 minutes. One GET per 10 s while a member's loop
  // lives (360 an hour, about $0.0007 at Upstash's price) instead of one per 1-2 s poll; the
  // owner cannot be removed and spends nothing on it.
  removalCheckMs: 10_000,
};

/** A failing catch-up (Spotify down) is retried on this many ticks, then left to the hourly job. */
export const CATCH_UP_TRIES = 3;

export function newLoopState(owner: string, now: number, listener?: string): LoopState {
  return {
    v: 1,
    ...(listener ? { listener } : {}),
    tracker: initialTrackerState(),
    pending: [],
    owner,
    lease_until: 0,
    chain_started_at: now,
    polls: 0,
    catch_up: CATCH_UP_TRIES,
  };
}

/** Lease value that parks every loop (and the watchdog) until Spotify's quota back-off ends. */
export const QUOTA_LEASE = "quota";

/**
 * Lease value a removed listener leaves behind (shared/listeners/remove.ts): a loop still warm
 * in another container, with an access token in its memory, finds it within `removalCheckMs`
 * (or before its next write) and stops, and no watchdog starts a new one.
 */
export const REMOVED_LEASE = "removed";

/** Whether a lease value is a live loop's (not a back-off or a removal). */
export const leaseHeld = (holder: unknown): holder is string =>
  typeof holder === "string" && holder !== QUOTA_LEASE && holder !== REMOVED_LEASE;

type LeaseCheck = "held" | "lost" | "removed";

/**
 * Takes or renews the lease: "lost" when another loop (or a quota back-off) holds it, "removed"
 * when the listener was. `recheckMs` (a member's loop): read it that often even when no renewal
 * is due, so a removal is seen within it (null: only at renewals).
 */
async function holdLease(
  cache: Cache,
  lease: string,
  state: LoopState,
  now: number,
  opts: LoopOptions,
  recheckMs: number | null,
): Promise<LeaseCheck> {
  const renew = state.lease_until - now <= opts.leaseRenewMs;
  const recheck = recheckMs !== null && now - (state.lease_seen_at ?? 0) >= recheckMs;
  if (!renew && !recheck) return "held";
  // Not yet taken: take it if free (a removal's mark is not free).
  if (state.lease_until === 0 && (await cache.setIfAbsent(lease, state.owner, { ttlMs: opts.leaseMs }))) {
    state.lease_until = now + opts.leaseMs;
    state.lease_seen_at = now;
    return "held";
  }
  // Believed ours: check, and extend when due (2 commands; a recheck alone is 1).
  const holder = await cache.get<string>(lease);
  if (holder === REMOVED_LEASE) return "removed";
  if (holder === null && state.lease_until !== 0) {
    // Ours expired (a long wait): take it again if nobody else did; whoever did may be the
    // removal's mark.
    if (!(await cache.setIfAbsent(lease, state.owner, { ttlMs: opts.leaseMs }))) {
      return (await cache.get<string>(lease)) === REMOVED_LEASE ? "removed" : "lost";
    }
    state.lease_until = now + opts.leaseMs;
    state.lease_seen_at = now;
    return "held";
  }
  if (holder !== state.owner) return "lost";
  if (renew) {
    await cache.set(lease, state.owner, { ttlMs: opts.leaseMs });
    state.lease_until = now + opts.leaseMs;
  }
  state.lease_seen_at = now;
  return "held";
}

/**
 * Hands the lease to a fresh owner that only the successor will carry, by compare-and-swap.
 * Step Functions may run an Express execution twice (at-least-once): both copies carry the
 * same owner and both reach the handover; only the first swap succeeds, the other copy stops.
 */
export async function passLease(
  cache: Cache,
  lease: string,
  state: LoopState,
  now: number,
  opts: LoopOptions,
  nextOwner: string = randomUUID(),
): Promise<boolean> {
  try {
    const ttl = { ttlMs: opts.leaseMs };
    const passed =
      (await cache.swapIfEquals(lease, state.owner, nextOwner, ttl)) ||
      // Lost (the cache was flushed): nobody else holds it, so take it for the successor.
      (await cache.setIfAbsent(lease, nextOwner, ttl));
    if (!passed) return false;
  } catch (err) {
    // As in holdLease: without the cache nothing can be proven; keep the owner and go on.
    logger.warn("lease handover check failed", { error: (err as Error).message });
    return true;
  }
  state.owner = nextOwner;
  state.lease_until = now + opts.leaseMs;
  state.lease_seen_at = now;
  return true;
}

/**
 * The state rides in the execution payload, which Step Functions caps at 256 KB: listens that
 * cannot be stored for a long time (DynamoDB down) must not grow it past that and fail the
 * execution. Beyond the budget the oldest are dropped, each named in an error log.
 */
export const MAX_PENDING_BYTES = 128 * 1024;

export function boundPending(pending: FinishedListen[], maxBytes = MAX_PENDING_BYTES): FinishedListen[] {
  const sizes = pending.map((f) => Buffer.byteLength(JSON.stringify(f)) + 1);
  let total = sizes.reduce((a, b) => a + b, 2);
  let first = 0;
  while (total > maxBytes && first < pending.length) total -= sizes[first++] ?? 0;
  if (first === 0) return pending;
  const dropped = pending.slice(0, first);
  logger.error("pending listens dropped: they would not fit the Step Functions payload", {
    dropped: dropped.map((f) => ({
      track_id: f.item.key,
      listened_at: f.listened_at,
      listened_ms: f.listened_ms,
    })),
    kept: pending.length - first,
  });
  return pending.slice(first);
}

async function store(deps: LoopDeps, listens: FinishedListen[]) {
  const recorded: TickResult["recorded"] = [];
  const failed: FinishedListen[] = [];
  for (const f of listens) {
    try {
      const result = await recordListen(deps.store, toPlay(f, "poll"), toTrackInfo(f));
      recorded.push({ track_id: f.item.key, listened_at: f.listened_at, counted: f.counted, result });
    } catch (err) {
      logger.error("could not store a listen; it stays pending", {
        track_id: f.item.key,
        error: (err as Error).message,
      });
      failed.push(f);
    }
  }
  return { recorded, failed };
}

async function look(spotify: SpotifyApi) {
  try {
    return { obs: await spotify.currentPlayback() } as const;
  } catch (err) {
    if (err instanceof SpotifyError) return { fault: err.fault } as const;
    const fault: SpotifyFault = { type: "unavailable", message: (err as Error).message, status: null };
    return { fault } as const;
  }
}

export async function tick(
  deps: LoopDeps,
  prev: LoopState,
  opts: LoopOptions = DEFAULT_LOOP_OPTIONS,
): Promise<TickResult> {
  const now = deps.clock().getTime();
  const trackerOpts = deps.tracker ?? DEFAULT_TRACKER_OPTIONS;
  const state: LoopState = { ...prev, polls: prev.polls + 1 };

  let leased: LeaseCheck;
  try {
    // The owner cannot be removed: their loop spends no command on looking for it.
    const recheckMs = deps.listener === OWNER_ID ? null : opts.removalCheckMs;
    leased = await holdLease(deps.cache, cacheKeys.lease(deps.listener), state, now, opts, recheckMs);
  } catch (err) {
    // Without the cache we cannot prove we are alone; Spotify is still worth asking, and
    // recording is idempotent, so carry on and try the lease again next tick.
    logger.warn("lease check failed", { error: (err as Error).message });
    leased = "held";
  }
  // Before looking at the player: a removed member's Spotify is asked nothing more.
  if (leased === "removed") return removedResult(deps, state);
  if (leased === "lost") {
    // Another loop is alive and watching the same player: it owns the open listen (recording
    // ours too could double count it). Only what already finished here is stored.
    const { recorded } = await store(deps, state.pending);
    return {
      state,
      action: "stop",
      stopReason: "lease",
      nextDelaySeconds: 0,
      recorded,
      snapshotWritten: false,
    };
  }

  let fault: SpotifyFault | undefined;
  let nextDelaySeconds: number;
  let stop = false;
  let stopReason: TickResult["stopReason"];
  let finished: FinishedListen[] = [];
  let snapshot: NowPlayingSnapshot | undefined;

  let looked = false;
  const quotaUntil = state.tracker.quota_until;
  if (quotaUntil !== null && quotaUntil > now) {
    nextDelaySeconds = Math.ceil((quotaUntil - now) / 1000);
  } else {
    const input = await look(deps.spotify);
    if ("fault" in input) {
      fault = input.fault;
      logger.warn("Spotify fault", { fault: input.fault });
      // What plays while Spotify refuses to answer is recovered by the first poll after it.
      if (fault?.type === "rate_limited") state.catch_up = CATCH_UP_TRIES;
    } else {
      looked = true;
    }
    const r = step(state.tracker, input, now, trackerOpts);
    state.tracker = r.state;
    finished = r.finished;
    snapshot = r.snapshot;
    nextDelaySeconds = r.nextDelaySeconds;
    stop = r.stop;
    stopReason = r.stopReason;
  }

  if (!stop && nextDelaySeconds > opts.maxWaitSeconds) {
    // Hours of quota back-off do not fit an Express execution: stop, and leave the watchdog a
    // note of when to come back. Whatever is open is finished so nothing waits on the cache.
    stop = true;
    stopReason = "quota";
    finished = [...finished, ...flush(state.tracker, trackerOpts)];
    state.tracker = { ...state.tracker, open: null };
    await parkForQuota(deps, now, nextDelaySeconds);
  }

  const toStore = [...state.pending, ...finished];
  // Before any write: a listener removed since the lease check gets nothing written back into
  // their purged hoard (one cache read per finished listen).
  if (toStore.length > 0 && (await listenerRemoved(deps))) return removedResult(deps, state);
  const { recorded, failed } = await store(deps, toStore);
  state.pending = boundPending(failed);

  // After the look and the store: whatever this loop finished is stored, so the matcher finds
  // it instead of estimating it again, and what is open now is not listed by Spotify yet.
  let caughtUp: number | undefined;
  if (looked && (state.catch_up ?? 0) > 0 && state.pending.length === 0 && deps.catchUp) {
    const c = await deps.catchUp();
    if (c.ok) {
      state.catch_up = 0;
      caughtUp = c.inserted;
    } else if (c.fault?.type === "rate_limited") {
      fault = c.fault;
      state.tracker = { ...state.tracker, quota_until: now + c.fault.retryAfterSeconds * 1000 };
      // A long back-off is parked by the next tick (it sees quota_until), like any other 429.
      nextDelaySeconds = Math.min(
        opts.maxWaitSeconds,
        Math.max(nextDelaySeconds, Math.ceil(c.fault.retryAfterSeconds)),
      );
    } else {
      state.catch_up = (state.catch_up ?? 1) - 1;
    }
  }

  let snapshotWritten = false;
  if (snapshot) {
    try {
      // The art rides in the snapshot: a card view is then one cache read, not two in sequence.
      const art = snapshot.item && deps.art ? await deps.art(snapshot.item.album) : undefined;
      const stored = art === undefined ? snapshot : { ...snapshot, art };
      await deps.cache.set(cacheKeys.snapshot(deps.listener), stored, { ttlMs: cacheTtlMs.snapshot });
      snapshotWritten = true;
    } catch (err) {
      // Readers keep the previous snapshot; forget the signature so the next tick rewrites it.
      state.tracker = { ...state.tracker, snapshot_sig: null };
      logger.warn("could not write the now-playing snapshot", { error: (err as Error).message });
    }
  }

  let action: LoopAction = "wait";
  if (stop) {
    action = "stop";
    if (state.pending.length > 0) {
      await deps.cache
        .set(cacheKeys.parked(deps.listener), state.pending, { ttlMs: cacheTtlMs.parked })
        .catch(() => undefined);
    }
    if (stopReason !== "quota") {
      // Only our own lease: a removal's mark (REMOVED_LEASE) must outlive this loop.
      await deps.cache.deleteIfEquals(cacheKeys.lease(deps.listener), state.owner).catch(() => undefined);
      await noteLease(deps.store, null);
    }
  } else if (now + nextDelaySeconds * 1000 - state.chain_started_at > opts.chainMaxMs) {
    action = (await passLease(deps.cache, cacheKeys.lease(deps.listener), state, now, opts))
      ? "handover"
      : "stop";
    if (action === "stop") stopReason = "lease";
  }
  // Taken, renewed or passed on this tick (at a chain's start and each handover, ~15 an hour).
  if (action !== "stop" && state.lease_until !== prev.lease_until) {
    await noteLease(deps.store, new Date(state.lease_until).toISOString());
  }
  return {
    state,
    action,
    nextDelaySeconds,
    ...(stopReason ? { stopReason } : {}),
    recorded,
    snapshotWritten,
    ...(fault ? { fault } : {}),
    ...(caughtUp !== undefined ? { caughtUp } : {}),
  };
}

/**
 * Whether the listener was removed (shared/listeners/remove.ts marks the lease); unknown: no.
 * The owner cannot be removed: their loop spends no cache command on it.
 */
async function listenerRemoved(deps: LoopDeps): Promise<boolean> {
  if (deps.listener === OWNER_ID) return false;
  const holder = await deps.cache.get<string>(cacheKeys.lease(deps.listener)).catch(() => null);
  return holder === REMOVED_LEASE;
}

/**
 * A removed listener's loop stops where it is: nothing stored, parked or noted (their items
 * are being deleted), the now-playing snapshot it may have written since dropped again.
 */
async function removedResult(deps: LoopDeps, state: LoopState): Promise<TickResult> {
  logger.info("the listener was removed; their playback loop stops", { listener: deps.listener });
  await deps.cache.del(cacheKeys.snapshot(deps.listener)).catch(() => undefined);
  return {
    state: { ...state, pending: [] },
    action: "stop",
    stopReason: "removed",
    nextDelaySeconds: 0,
    recorded: [],
    snapshotWritten: false,
  };
}

/**
 * Notes on the link item until when the lease is held (null: let go). The watchdog reads that
 * item every minute anyway, so while a loop lives it skips Spotify and the cache alike: a cache
 * read a minute would cost more than everything else the watchdog does. Only a hint: a failed
 * note lets the watchdog look (and find the lease in the cache); it never decides who runs.
 */
export async function noteLease(store: Store, until: string | null): Promise<void> {
  await store.setLoopUntil(until).catch((err: unknown) => {
    logger.warn("could not note the loop's lease on the link", { error: (err as Error).message });
  });
}

/**
 * Spotify said to stay away: the lease key carries the back-off for loops and manual polls,
 * `quotaUntil` says until when for the other jobs, and the link item tells the watchdog.
 */
export async function parkForQuota(
  deps: { cache: Cache; store: Store; listener: string },
  now: number,
  seconds: number,
): Promise<void> {
  const ttlMs = Math.max(1, seconds) * 1000;
  await deps.cache.set(cacheKeys.lease(deps.listener), QUOTA_LEASE, { ttlMs }).catch(() => undefined);
  await deps.cache.set(cacheKeys.quotaUntil(deps.listener), now + ttlMs, { ttlMs }).catch(() => undefined);
  await deps.store.setSpotifyQuotaUntil(new Date(now + ttlMs).toISOString()).catch(() => undefined);
}

/**
 * The state a new chain starts from: fresh tracker, and any listens a previous chain parked
 * because storage was down.
 */
export async function startLoopState(
  cache: Cache,
  owner: string,
  now: number,
  listener: string,
): Promise<LoopState> {
  const state = newLoopState(owner, now, listener);
  try {
    const parked = await cache.get<FinishedListen[]>(cacheKeys.parked(listener));
    if (Array.isArray(parked) && parked.length > 0) {
      state.pending = parked;
      await cache.del(cacheKeys.parked(listener));
    }
  } catch {
    // nothing parked that we can see; recording stays idempotent either way
  }
  return state;
}
