import { cacheKeys } from "../cache/keys.ts";
import type { Cache } from "../cache/port.ts";
import type { Clock } from "../clock.ts";
import type { Deps } from "../deps.ts";
import type { Play } from "../domain/entities.ts";
import { countsAsPlay, DEFAULT_TRACKER_OPTIONS, type FinishedListen } from "../domain/tracker.ts";
import { logger } from "../logger.ts";
import { createSpotifyClient } from "../spotify/client.ts";
import { spotifyFaultError } from "../spotify/faults.ts";
import { type RecentPlay, type SpotifyApi, SpotifyError, type SpotifyFault } from "../spotify/types.ts";
import type { Store } from "../store/port.ts";
import { parkForQuota, QUOTA_LEASE } from "./loop.ts";
import { recordListen, toPlay, toTrackInfo } from "./record.ts";

/**
 * The recently-played backfill: the safety net under the playback loop. Spotify lists the
 * last 50 plays with `played_at` ≈ the END of each play; every entry is either matched to a
 * listen we already stored (nothing written) or stored as an estimated listen, never both.
 *
 * Why the tolerance is ±90 s: a poll listen's `ended_at` is exact to a second or two when the
 * next item was seen, but when playback stopped it is the last observation, which can lag the
 * real end by a whole back-off step (60 s while paused or idle); Spotify's own `played_at` is
 * "approximately" the end. 90 s covers both. It is wider than the gap between two listed plays
 * of one track (≥ 30 s each), so candidates are assigned one-to-one, nearest first, and a
 * back-to-back repeat still gets one stored listen per entry.
 *
 * Why entries are deferred while a loop is live: the loop stores a listen a few seconds after
 * it ends (up to a 60 s back-off after a pause, longer when a write had to be retried), and an
 * estimated insert has a different key (its start is estimated), so an entry inserted before
 * the poll's listen arrives would be a second record of the same play. Entries younger than
 * `graceMs` are left for the next run while the loop holds its lease; the cursor stops before
 * them, so nothing is lost (50 listed plays take ≥ 25 minutes; the job runs hourly and the
 * loop records them meanwhile).
 *
 * Why pauses are bridged: a listen the loop saw paused ends (for us) where it last played,
 * but Spotify lists it when it left the player — a skip ten minutes later. When the stored
 * listen of the same track is the last thing that happened before the entry (no other stored
 * listen started and no other entry was listed in between), it is the same play.
 */

export const RECENTLY_PLAYED_CURSOR = "recently-played";
export const JOB_BACKFILL = "backfill";
export const DEFAULT_MATCH_TOLERANCE_MS = 90_000;
export const DEFAULT_GRACE_MS = 5 * 60_000;
/** How long a listen may have stood paused and still be the play an entry lists. */
export const DEFAULT_MAX_PAUSE_MS = 6 * 3_600_000;
/** A track switch seen by the loop and by Spotify: a few seconds apart at most. */
const SWITCH_SLACK_MS = 10_000;

// ------------------------------------------------------------------------------ matcher

/** One listed play: `played_at` is when it ended (recently-played `played_at`, export `ts`). */
export interface RecentEntry {
  track_id: string;
  played_at: string;
}

/** What the matcher needs of a stored listen. */
export type StoredListen = Pick<Play, "track_id" | "listened_at" | "ended_at" | "estimated">;

export interface MatchOptions {
  /**
   * Also match an entry to an earlier listen of the same track that stood paused until the
   * entry (see the module comment). `since` is the newest `played_at` already processed
   * (epoch ms): a listen that started before it may already belong to a processed entry.
   */
  pauses?: { since: number | null; maxPauseMs: number };
}

export interface RecentMatch<R, S> {
  entry: R;
  /** The stored listen this entry is, or null when it is a play we never stored. */
  stored: S | null;
  how: "end" | "pause" | null;
}

const ms = (iso: string) => Date.parse(iso);

/**
 * Pairs listed plays with stored listens of the same track, one-to-one: first every pair whose
 * ends lie within `toleranceMs`, nearest first; then (optionally) paused listens. Pure; the
 * result follows the order of `recent`.
 */
export function matchRecent<R extends RecentEntry, S extends StoredListen>(
  recent: readonly R[],
  stored: readonly S[],
  toleranceMs: number,
  opts: MatchOptions = {},
): RecentMatch<R, S>[] {
  const out: RecentMatch<R, S>[] = recent.map((entry) => ({ entry, stored: null, how: null }));
  const taken = new Set<number>();

  // Stored listens by track, in their order: an import matches thousands of entries per call.
  const byTrack = new Map<string, number[]>();
  stored.forEach((listen, s) => {
    const list = byTrack.get(listen.track_id);
    if (list) list.push(s);
    else byTrack.set(listen.track_id, [s]);
  });
  const pairs: { e: number; s: number; diff: number }[] = [];
  recent.forEach((entry, e) => {
    const end = ms(entry.played_at);
    for (const s of byTrack.get(entry.track_id) ?? []) {
      const diff = Math.abs(ms(stored[s]?.ended_at ?? "") - end);
      if (diff <= toleranceMs) pairs.push({ e, s, diff });
    }
  });
  // Nearest first; ties in time order, so two repeats pair up in order rather than crosswise.
  pairs.sort(
    (a, b) =>
      a.diff - b.diff ||
      ms(recent[a.e]?.played_at ?? "") - ms(recent[b.e]?.played_at ?? "") ||
      ms(stored[a.s]?.ended_at ?? "") - ms(stored[b.s]?.ended_at ?? ""),
  );
  for (const { e, s } of pairs) {
    const slot = out[e];
    const listen = stored[s];
    if (!slot || !listen || slot.stored || taken.has(s)) continue;
    slot.stored = listen;
    slot.how = "end";
    taken.add(s);
  }

  const pauses = opts.pauses;
  if (!pauses) return out;
  const order = out
    .map((_, i) => i)
    .sort((a, b) => ms(recent[a]?.played_at ?? "") - ms(recent[b]?.played_at ?? ""));
  for (const e of order) {
    const slot = out[e];
    if (!slot || slot.stored) continue;
    const end = ms(slot.entry.played_at);
    let best: number | null = null;
    stored.forEach((listen, s) => {
      if (taken.has(s) || listen.estimated || listen.track_id !== slot.entry.track_id) return;
      const start = ms(listen.listened_at);
      const stopped = ms(listen.ended_at);
      if (stopped >= end - toleranceMs || start >= end || end - stopped > pauses.maxPauseMs) return;
      // Its own entry (listed ≥ 30 s after it started) may have been processed by an earlier run.
      if (pauses.since !== null && start < pauses.since - SWITCH_SLACK_MS) return;
      const otherListen = stored.some(
        (x, i) => i !== s && ms(x.listened_at) > start && ms(x.listened_at) < end - SWITCH_SLACK_MS,
      );
      const otherEntry = recent.some(
        (y, i) => i !== e && ms(y.played_at) > start + SWITCH_SLACK_MS && ms(y.played_at) < end,
      );
      if (otherListen || otherEntry) return;
      const prev = best === null ? null : stored[best];
      if (!prev || stopped > ms(prev.ended_at)) best = s;
    });
    if (best !== null) {
      slot.stored = stored[best] ?? null;
      slot.how = "pause";
      taken.add(best);
    }
  }
  return out;
}

// ------------------------------------------------------------------------------ backfill

export interface BackfillDeps {
  spotify: SpotifyApi;
  store: Store;
  clock: Clock;
}

export interface BackfillOptions {
  toleranceMs?: number;
  /** While a loop is live, entries that ended less than this ago are left for the next run. */
  graceMs?: number;
  loopLive?: boolean;
  maxPauseMs?: number;
}

export interface BackfillResult {
  /** Entries Spotify returned after the cursor. */
  fetched: number;
  /** Entries that were already stored (by the loop, or by an earlier run). */
  matched: number;
  /** Entries stored now as estimated listens. */
  inserted: number;
  /** Entries left for the next run (too recent while the loop is live). */
  skipped: number;
  /** Newest `played_at` processed (ISO-8601): the next run asks for entries after it. */
  cursor: string | null;
}

const iso = (t: number) => new Date(t).toISOString();

function parseCursor(raw: string | null): number | null {
  if (raw === null) return null;
  const n = Number(raw);
  if (!Number.isFinite(n)) {
    logger.warn("backfill: ignoring an unreadable cursor", { cursor: raw });
    return null;
  }
  return n;
}

/** Every stored listen with listened_at in [from, to), newest first, across pages. */
async function playsBetween(store: Store, from: string, to: string): Promise<Play[]> {
  const out: Play[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listPlays({ from, to, limit: 250, ...(cursor ? { cursor } : {}) });
    out.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return out;
}

/**
 * An entry we never stored, as a listen: it ended at `played_at` and is assumed to have played
 * in full (Spotify does not say how much was heard; it lists only plays of ≥ 30 s, which is at
 * least our threshold, so it counts). Its key is deterministic, so a replay is a duplicate.
 */
export function estimatedListen(entry: RecentPlay): FinishedListen {
  const end = ms(entry.played_at);
  const duration = entry.item.duration_ms;
  return {
    item: entry.item,
    listened_at: iso(end - duration),
    ended_at: iso(end),
    listened_ms: duration,
    counted: countsAsPlay(duration, duration, DEFAULT_TRACKER_OPTIONS),
    device: null,
    context: entry.context,
    shuffle_state: null,
  };
}

export async function backfill(deps: BackfillDeps, opts: BackfillOptions = {}): Promise<BackfillResult> {
  const toleranceMs = opts.toleranceMs ?? DEFAULT_MATCH_TOLERANCE_MS;
  const graceMs = opts.graceMs ?? DEFAULT_GRACE_MS;
  const maxPauseMs = opts.maxPauseMs ?? DEFAULT_MAX_PAUSE_MS;
  const now = deps.clock().getTime();
  const since = parseCursor(await deps.store.getCursor(RECENTLY_PLAYED_CURSOR));

  const recent = await deps.spotify.recentlyPlayed({
    ...(since !== null ? { afterMs: since } : {}),
    limit: 50,
  });
  const entries = recent
    .filter((r) => since === null || ms(r.played_at) > since)
    .sort((a, b) => ms(a.played_at) - ms(b.played_at));
  const deferAfter = opts.loopLive ? now - graceMs : Number.POSITIVE_INFINITY;
  const ready = entries.filter((r) => ms(r.played_at) <= deferAfter);
  const result: BackfillResult = {
    fetched: recent.length,
    matched: 0,
    inserted: 0,
    skipped: entries.length - ready.length,
    cursor: since === null ? null : iso(since),
  };
  const oldest = ready[0];
  const newest = ready.at(-1);
  if (!oldest || !newest) return result;

  // One query for the whole batch: every listen that could end within the tolerance of an
  // entry (or stand paused up to it) started after the oldest entry minus its longest span.
  const longest = Math.max(...ready.map((r) => r.item.duration_ms));
  const from = iso(ms(oldest.played_at) - toleranceMs - longest - maxPauseMs);
  const to = iso(ms(newest.played_at) + toleranceMs + 1);
  const stored = await playsBetween(deps.store, from, to);

  const matches = matchRecent(
    ready.map((r) => ({ track_id: r.item.key, played_at: r.played_at, recent: r })),
    stored,
    toleranceMs,
    { pauses: { since, maxPauseMs } },
  );

  // The cursor moves only past entries that are stored; on a failure it stops before it.
  let done = since;
  try {
    for (const m of matches) {
      if (m.stored) {
        result.matched++;
      } else {
        const f = estimatedListen(m.entry.recent);
        const r = await recordListen(deps.store, toPlay(f, "backfill", true), toTrackInfo(m.entry.recent));
        if (r === "recorded") result.inserted++;
        else result.matched++;
      }
      done = ms(m.entry.played_at);
    }
  } finally {
    if (done !== null && done !== since) {
      await deps.store.setCursor(RECENTLY_PLAYED_CURSOR, String(done));
      result.cursor = iso(done);
    }
  }
  return result;
}

// ------------------------------------------------------------------------------ jobs

/** What started a job: its schedule, an HTTP call, a playback loop starting, or the watchdog. */
export type JobTrigger = "schedule" | "http" | "loop" | "watchdog";

export interface RunJobOptions<R> {
  /** Whether a finished run did all it should (default: it did). */
  okOf?: (result: R) => boolean;
  /**
   * Whether a 429 parks every caller of Spotify (default true). The loop's own catch-up does
   * not: parking takes the lease, and the loop holding it would stop and drop its open listen;
   * the loop waits out Retry-After itself.
   */
  parkOnQuota?: boolean;
}

export type JobOutcome<R> =
  | { ok: true; result: R }
  | {
      ok: false;
      /** What was done before it stopped, when the job got that far. */
      result: R | null;
      /** The Spotify fault that stopped it; null for any other error. */
      fault: SpotifyFault | null;
      error: unknown;
    };

/** Someone (the loop, the watchdog, a job) was told by a 429 to stay away until then. */
async function quotaWait(cache: Cache, listener: string, now: number): Promise<number | null> {
  try {
    const until = await cache.get<number>(cacheKeys.quotaUntil(listener));
    return typeof until === "number" && until > now ? Math.ceil((until - now) / 1000) : null;
  } catch {
    return null;
  }
}

/**
 * Runs one job and records its run (ok flag and result, or the error and fault). A Spotify
 * fault is returned, never thrown; a 429 parks everything that calls Spotify (parkForQuota:
 * the loops, the watchdog, the other job). The job does not start while such a wait is on.
 */
export async function runJob<R extends object>(
  deps: Pick<Deps, "store" | "clock" | "cache" | "listener">,
  job: string,
  trigger: JobTrigger,
  fn: () => Promise<R>,
  { okOf = () => true, parkOnQuota = true }: RunJobOptions<R> = {},
): Promise<JobOutcome<R>> {
  const started = deps.clock();
  let outcome: JobOutcome<R>;
  const wait = await quotaWait(deps.cache, deps.listener, started.getTime());
  if (wait !== null) {
    const fault: SpotifyFault = {
      type: "rate_limited",
      retryAfterSeconds: wait,
      reason: "waiting on an earlier 429",
    };
    outcome = { ok: false, result: null, fault, error: new SpotifyError(fault) };
  } else {
    try {
      const result = await fn();
      outcome = okOf(result) ? { ok: true, result } : { ok: false, result, fault: null, error: null };
    } catch (err) {
      const fault = err instanceof SpotifyError ? err.fault : null;
      outcome = { ok: false, result: null, fault, error: err };
      if (fault?.type === "rate_limited" && parkOnQuota) {
        await parkForQuota(deps, started.getTime(), fault.retryAfterSeconds);
      }
    }
  }
  const failure =
    outcome.ok || outcome.error === null
      ? {}
      : {
          error: outcome.error instanceof Error ? outcome.error.message : String(outcome.error),
          fault: outcome.fault?.type ?? null,
        };
  if (!outcome.ok) logger.warn(`${job} did not complete`, { trigger, ...failure });
  try {
    await deps.store.recordJobRun({
      job,
      started_at: started.toISOString(),
      finished_at: deps.clock().toISOString(),
      ok: outcome.ok,
      result: { trigger, ...(outcome.result ?? {}), ...failure },
    });
  } catch (err) {
    logger.error(`could not record the ${job} run`, err as Error);
  }
  return outcome;
}

/** Whether a playback loop holds its lease (an unreadable cache counts as live: defer). */
export async function loopIsLive(cache: Cache, listener: string): Promise<boolean> {
  try {
    const holder = await cache.get(cacheKeys.lease(listener));
    return holder !== null && holder !== QUOTA_LEASE;
  } catch {
    return true;
  }
}

/** The job name of the catch-up a playback loop runs when it starts (runner.ts). */
export const JOB_CATCH_UP = "catch-up";

/** One backfill with the app's deps, recorded as a job run (the hourly job and the route). */
export async function runBackfillJob(
  deps: Deps,
  trigger: JobTrigger,
  opts: BackfillOptions & { spotify?: SpotifyApi } = {},
): Promise<JobOutcome<BackfillResult>> {
  return runJob(deps, JOB_BACKFILL, trigger, async () =>
    backfill(
      { spotify: opts.spotify ?? createSpotifyClient(deps), store: deps.store, clock: deps.clock },
      { ...opts, loopLive: opts.loopLive ?? (await loopIsLive(deps.cache, deps.listener)) },
    ),
  );
}

// ------------------------------------------------------------------------------ routes

/** The job's result, or the domain error that explains why there is none. */
export function jobReply<R>(config: Deps["config"], outcome: JobOutcome<R>): R {
  if (outcome.ok) return outcome.result;
  if (outcome.fault) throw spotifyFaultError(config, outcome.fault);
  if (outcome.error !== null) throw outcome.error;
  if (outcome.result === null) throw new Error("job failed without a result");
  return outcome.result;
}
