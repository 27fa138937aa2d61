import type { Observation, PlayableItem, SpotifyFault } from "../spotify/types.ts";

/**
 * The play tracker: a pure function from (previous state, what Spotify said, now) to
 * (next state, finished listens, now-playing snapshot if it changed, when to look again).
 * The Step Functions poll task, the local loop and the benchmarks all call `step`; the state
 * is plain JSON so it can ride in a Step Functions execution payload.
 *
 * Semantics (docs/ARCHITECTURE.md, "The playback loop"; README "How capture works"):
 * - a listen starts when its item starts: first seen at t with progress p ⇒ started at t − p;
 * - listened time comes from progress deltas, so pauses add nothing; bounded by the duration;
 * - a seek inside the item does not split the listen; a jump back to the very start does
 *   (repeat-one, "play it again"), and so does a wrap past the end observed late;
 * - another item, an ad, or playback stopping ends the listen; nothing is ever dropped: a
 *   short listen is finished with counted: false.
 */

export interface TrackerOptions {
  /** A listen counts as a play at min(minPlayMs, duration × minPlayFraction). */
  minPlayMs: number;
  minPlayFraction: number;
  /** A backward jump landing this close to the start is a restart. */
  restartWindowMs: number;
  /** ...if it jumped back at least this far (below that it is progress noise). */
  restartMinJumpMs: number;
  /** Progress may run ahead of the wall clock by this much before we call it a seek. */
  toleranceMs: number;
  /** Poll cadence while something plays (whole seconds: Step Functions Wait). */
  playingDelaySeconds: number;
  /**
   * Cadence while the loop lives but nothing plays (paused, idle): one step per inactive poll,
   * then the last one. Kept at a few seconds: Express bills the execution's duration, not its
   * polls, so a slow poll inside a live loop saves almost nothing and misses short listens and
   * resumes. The saving comes from ending the loop (idleEndMs, pausedEndMs).
   */
  inactiveDelaysSeconds: readonly number[];
  /** After this long with nothing in the player (stopped, no device), end the loop. */
  idleEndMs: number;
  /** After this long paused, finish the paused listen and end the loop (a shorter pause never splits a listen). */
  pausedEndMs: number;
  /** Back-off after transient Spotify errors (5xx, timeouts), doubling up to the last. */
  errorDelaysSeconds: readonly number[];
}

export const DEFAULT_TRACKER_OPTIONS: TrackerOptions = {
  minPlayMs: 30_000,
  minPlayFraction: 0.5,
  restartWindowMs: 3_000,
  restartMinJumpMs: 1_000,
  toleranceMs: 1_500,
  playingDelaySeconds: 2,
  // A change while paused or idle is seen within 3 s (a resume, a new listen after a break);
  // `npm run bench:day` prices it (a poll costs ~$0.0000004; an idle tail of 2 minutes is ~40).
  inactiveDelaysSeconds: [3],
  // Each idle minute of a live Express execution costs money; the watchdog looks every minute.
  idleEndMs: 2 * 60_000,
  pausedEndMs: 10 * 60_000,
  // Transient faults (5xx, timeouts, a hung connection) retry within seconds while the loop lives.
  errorDelaysSeconds: [2, 5, 10],
};

export interface OpenListen {
  item: PlayableItem;
  /** Epoch ms the listen started (backdated by the progress when first seen). */
  started_at: number;
  listened_ms: number;
  last_progress_ms: number;
  last_observed_at: number;
  last_is_playing: boolean;
  /** The last instant it was known to be playing (end of the listen if it stops now). */
  last_playing_at: number;
  device: { id: string | null; name: string; type: string } | null;
  context: { type: string; uri: string } | null;
  shuffle_state: boolean | null;
}

export interface TrackerState {
  v: 1;
  open: OpenListen | null;
  /** Since when nothing has been playing (paused, idle, ads excluded); null while playing. */
  inactive_since: number | null;
  inactive_polls: number;
  consecutive_errors: number;
  /** Spotify asked us to stay away until then (429 Retry-After). */
  quota_until: number | null;
  /** Identifies the last snapshot written, so it is written only when it changes. */
  snapshot_sig: string | null;
  /**
   * When Spotify last answered a look at the player (epoch ms); null before the first one.
   * An item first seen now played at most since then (that look saw something else).
   * Optional: states handed over by an older version lack it.
   */
  last_seen_at?: number | null;
}

export const initialTrackerState = (): TrackerState => ({
  v: 1,
  open: null,
  inactive_since: null,
  inactive_polls: 0,
  consecutive_errors: 0,
  quota_until: null,
  snapshot_sig: null,
  last_seen_at: null,
});

export interface FinishedListen {
  item: PlayableItem;
  listened_at: string;
  ended_at: string;
  listened_ms: number;
  counted: boolean;
  device: OpenListen["device"];
  context: OpenListen["context"];
  shuffle_state: boolean | null;
}

export interface NowPlayingSnapshot {
  item: PlayableItem | null;
  is_playing: boolean;
  /** Progress at `observed_at`; readers extrapolate while is_playing. */
  progress_ms: number;
  observed_at: string;
  device: OpenListen["device"];
  context: OpenListen["context"];
  /**
   * The item's album art as a data URI, added by the loop when it writes the snapshot
   * (shared/cards/art.ts artForSnapshot) so a card view is one cache read; null: no art (the
   * placeholder); absent: not embedded (too big, or an older writer), the card reads it itself.
   */
  art?: string | null;
}

export type TrackerInput = { obs: Observation } | { fault: SpotifyFault };

export interface StepResult {
  state: TrackerState;
  finished: FinishedListen[];
  /** Present only when the snapshot changed (item, play/pause, seek, device). */
  snapshot?: NowPlayingSnapshot;
  nextDelaySeconds: number;
  /** End the loop (long idle, or the link needs the person): open listens were finished. */
  stop: boolean;
  stopReason?: "idle" | "revoked" | "not_linked";
}

const iso = (ms: number) => new Date(ms).toISOString();
const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

export function countsAsPlay(listenedMs: number, durationMs: number, opts: TrackerOptions): boolean {
  const threshold =
    durationMs > 0 ? Math.min(opts.minPlayMs, durationMs * opts.minPlayFraction) : opts.minPlayMs;
  return listenedMs >= threshold;
}

function finish(open: OpenListen, listenedMs: number, endedAt: number, opts: TrackerOptions): FinishedListen {
  const listened = Math.round(clamp(listenedMs, 0, open.item.duration_ms || listenedMs));
  return {
    item: open.item,
    listened_at: iso(open.started_at),
    ended_at: iso(Math.max(endedAt, open.started_at)),
    listened_ms: listened,
    counted: countsAsPlay(listened, open.item.duration_ms, opts),
    device: open.device,
    context: open.context,
    shuffle_state: open.shuffle_state,
  };
}

/** Ends `open` at `switchAt` (when whatever replaced it started), crediting play up to then. */
function finishAt(open: OpenListen, switchAt: number, opts: TrackerOptions): FinishedListen {
  if (!open.last_is_playing) return finish(open, open.listened_ms, open.last_playing_at, opts);
  const at = clamp(switchAt, open.last_observed_at, Number.MAX_SAFE_INTEGER);
  const remaining = Math.max(0, open.item.duration_ms - open.last_progress_ms);
  const credit = Math.min(at - open.last_observed_at, remaining);
  return finish(open, open.listened_ms + credit, open.last_observed_at + credit, opts);
}

/** Ends `open` with nothing known after its last observation. */
function finishNow(open: OpenListen, opts: TrackerOptions): FinishedListen {
  return finish(
    open,
    open.listened_ms,
    open.last_is_playing ? open.last_observed_at : open.last_playing_at,
    opts,
  );
}

/**
 * How much of the progress an item first seen now was heard by this listener: only what the
 * evidence supports. If the previous look (at `prevSeenAt`) saw something else, it played at
 * most since then; Spotify's `timestamp` (its last state change: a start, resume, seek) bounds
 * it too. An item resumed at 90 s and heard for 20 s is a 20 s listen, not 110 s. Seen paused
 * with no earlier look to bound it, nothing of it is known to have been heard.
 */
function firstSightCreditMs(
  obs: Extract<Observation, { type: "item" }>,
  progressMs: number,
  now: number,
  prevSeenAt: number | null,
): number {
  // A timestamp ahead of our clock (skew) bounds nothing.
  const ts = obs.timestamp !== null && obs.timestamp <= now ? obs.timestamp : null;
  if (!obs.is_playing) {
    if (prevSeenAt === null) return 0;
    // Paused since `ts`: it played at most between the previous look and the pause.
    return clamp((ts ?? now) - prevSeenAt, 0, progressMs);
  }
  let credit = progressMs;
  if (prevSeenAt !== null) credit = Math.min(credit, now - prevSeenAt);
  if (ts !== null) credit = Math.min(credit, now - ts);
  return Math.max(0, credit);
}

function startListen(
  obs: Extract<Observation, { type: "item" }>,
  now: number,
  opts: TrackerOptions,
  /** The previous look saw another item or nothing, at this time (null: no earlier look). */
  prevSeenAt: number | null = null,
  /** A restart seen by this loop: the whole (short) progress was heard. */
  restart = false,
): OpenListen {
  const progress = clamp(obs.progress_ms, 0, obs.item.duration_ms || obs.progress_ms);
  // Spotify's timestamp is the instant the item started when nothing changed since: exact and
  // the same for every observer, so two overlapping loops derive the same play key. Otherwise
  // (paused or seeked since) backdate our own observation by the progress.
  const backdated = now - progress;
  const fromSpotify =
    obs.is_playing && obs.timestamp !== null && Math.abs(obs.timestamp - backdated) <= opts.toleranceMs;
  return {
    item: obs.item,
    started_at: fromSpotify && obs.timestamp !== null ? obs.timestamp : backdated,
    // The start stays backdated by the progress; the listened time is only what was heard.
    listened_ms: restart ? progress : firstSightCreditMs(obs, progress, now, prevSeenAt),
    last_progress_ms: progress,
    last_observed_at: now,
    last_is_playing: obs.is_playing,
    // Seen paused: it last played when Spotify's state last changed (the pause).
    last_playing_at: obs.is_playing ? now : clamp(obs.timestamp ?? now, now - progress, now),
    device: obs.device,
    context: obs.context,
    shuffle_state: obs.shuffle_state,
  };
}

function isRestart(
  open: OpenListen,
  obs: Extract<Observation, { type: "item" }>,
  now: number,
  opts: TrackerOptions,
) {
  const jumpBack = open.last_progress_ms - obs.progress_ms;
  if (obs.progress_ms <= opts.restartWindowMs && jumpBack >= opts.restartMinJumpMs) return true;
  // Seen late (a back-off while paused): Spotify's timestamp is when the state last changed.
  // If it changed after we last looked and playback then stood at the very start, the item
  // was started again in between — even if it has since played past where we last saw it.
  if (
    obs.is_playing &&
    obs.timestamp !== null &&
    obs.timestamp > open.last_observed_at &&
    obs.timestamp <= now
  ) {
    const progressAtChange = obs.progress_ms - (now - obs.timestamp);
    const jumpedFrom = open.last_progress_ms - progressAtChange;
    if (progressAtChange <= opts.restartWindowMs && jumpedFrom >= opts.restartMinJumpMs) return true;
  }
  if (jumpBack <= 0) return false;
  // Seen late while playing: if the end of the item lies between the two observations, the
  // backward jump is a wrap (repeat-one), not a seek.
  const elapsed = now - open.last_observed_at;
  const reachedEnd = open.last_progress_ms + elapsed >= open.item.duration_ms - opts.toleranceMs;
  const playedSinceWrap = obs.progress_ms <= elapsed + opts.toleranceMs;
  return open.last_is_playing && obs.is_playing && reachedEnd && playedSinceWrap;
}

/** Time actually played between the last observation and now, for the same listen. */
function playedSince(
  open: OpenListen,
  obs: Extract<Observation, { type: "item" }>,
  now: number,
  opts: TrackerOptions,
) {
  const wall = Math.max(0, now - open.last_observed_at);
  const delta = obs.progress_ms - open.last_progress_ms;
  // Ordinary play (or paused, or resumed): progress only moves while playing.
  if (delta >= 0 && delta <= wall + opts.toleranceMs) return Math.min(delta, wall + opts.toleranceMs);
  // A seek happened in between. If it was playing, it kept playing the whole interval;
  // if it was paused and now plays, Spotify's timestamp says when the state changed.
  if (open.last_is_playing) return wall;
  if (obs.is_playing && obs.timestamp !== null && obs.timestamp > open.last_observed_at) {
    return clamp(now - obs.timestamp, 0, wall);
  }
  return 0;
}

function snapshotOf(obs: Observation, now: number): NowPlayingSnapshot {
  if (obs.type === "item") {
    return {
      item: obs.item,
      is_playing: obs.is_playing,
      progress_ms: obs.progress_ms,
      observed_at: iso(now),
      device: obs.device,
      context: obs.context,
    };
  }
  return {
    item: null,
    is_playing: false,
    progress_ms: 0,
    observed_at: iso(now),
    device: null,
    context: null,
  };
}

function signature(obs: Observation): string {
  if (obs.type !== "item") return obs.type === "unsupported" ? `unsupported:${obs.reason}` : "nothing";
  return `${obs.item.key}|${obs.is_playing ? "playing" : "paused"}|${obs.device?.id ?? obs.device?.name ?? ""}`;
}

function inactiveDelay(polls: number, opts: TrackerOptions): number {
  const steps = opts.inactiveDelaysSeconds;
  return steps[Math.min(polls, steps.length) - 1] ?? steps.at(-1) ?? 60;
}

export function step(
  prev: TrackerState,
  input: TrackerInput,
  now: number,
  opts: TrackerOptions = DEFAULT_TRACKER_OPTIONS,
): StepResult {
  const finished: FinishedListen[] = [];

  if ("fault" in input) {
    const fault = input.fault;
    if (fault.type === "rate_limited") {
      return {
        state: { ...prev, quota_until: now + fault.retryAfterSeconds * 1000 },
        finished,
        nextDelaySeconds: Math.max(1, Math.ceil(fault.retryAfterSeconds)),
        stop: false,
      };
    }
    if (fault.type === "revoked" || fault.type === "not_linked") {
      finished.push(...flush(prev, opts));
      return {
        state: { ...initialTrackerState(), snapshot_sig: prev.snapshot_sig },
        finished,
        nextDelaySeconds: 60,
        stop: true,
        stopReason: fault.type,
      };
    }
    // Transient: keep everything, look again a little later each time.
    const errors = prev.consecutive_errors + 1;
    const steps = opts.errorDelaysSeconds;
    return {
      state: { ...prev, consecutive_errors: errors },
      finished,
      nextDelaySeconds: steps[Math.min(errors, steps.length) - 1] ?? 60,
      stop: false,
    };
  }

  const obs = input.obs;
  let open = prev.open;
  let discontinuity = false;

  if (obs.type === "item") {
    if (open && open.item.key === obs.item.key) {
      if (isRestart(open, obs, now, opts)) {
        const restartAt = now - obs.progress_ms;
        finished.push(finishAt(open, restartAt, opts));
        open = startListen(obs, now, opts, null, true);
        discontinuity = true;
      } else {
        const played = playedSince(open, obs, now, opts);
        const expected = open.last_progress_ms + (open.last_is_playing ? now - open.last_observed_at : 0);
        discontinuity = Math.abs(obs.progress_ms - expected) > opts.toleranceMs;
        let lastPlayingAt = open.last_playing_at;
        if (obs.is_playing) lastPlayingAt = now;
        else if (open.last_is_playing) {
          // Paused in between: Spotify's timestamp (last state change) says when, else the
          // progress it made since we looked.
          lastPlayingAt = clamp(obs.timestamp ?? open.last_observed_at + played, open.last_observed_at, now);
        }
        open = {
          ...open,
          listened_ms: Math.min(open.item.duration_ms || Number.MAX_SAFE_INTEGER, open.listened_ms + played),
          last_progress_ms: obs.progress_ms,
          last_observed_at: now,
          last_is_playing: obs.is_playing,
          last_playing_at: lastPlayingAt,
        };
      }
    } else {
      if (open) finished.push(finishAt(open, now - obs.progress_ms, opts));
      open = startListen(obs, now, opts, prev.last_seen_at ?? null);
    }
  } else if (open) {
    // An ad or unknown item ends the listen where it started; stopping ends it where it was.
    finished.push(obs.type === "unsupported" ? finishAt(open, now, opts) : finishNow(open, opts));
    open = null;
  }

  const playing = obs.type === "item" ? obs.is_playing : obs.type === "unsupported";
  const inactiveSince = playing ? null : (prev.inactive_since ?? now);
  const inactivePolls = playing ? 0 : prev.inactive_polls + 1;

  let nextDelaySeconds: number;
  if (obs.type === "item" && obs.is_playing) {
    // Never later than the predicted end of the item, so the next one's start is seen.
    const remainingS = Math.floor((obs.item.duration_ms - obs.progress_ms) / 1000);
    nextDelaySeconds = clamp(remainingS, 1, opts.playingDelaySeconds);
  } else if (playing) {
    nextDelaySeconds = opts.playingDelaySeconds;
  } else {
    nextDelaySeconds = inactiveDelay(inactivePolls, opts);
  }

  let stop = false;
  const endAfter = open ? opts.pausedEndMs : opts.idleEndMs;
  if (inactiveSince !== null && now - inactiveSince >= endAfter) {
    // Ending the loop with a listen open would lose it: finish it now.
    if (open) finished.push(finishNow(open, opts));
    open = null;
    stop = true;
  }

  const sig = signature(obs);
  // A seek or restart keeps the signature but moves the progress readers extrapolate from.
  const changed = sig !== prev.snapshot_sig || discontinuity;
  const state: TrackerState = {
    v: 1,
    open,
    inactive_since: inactiveSince,
    inactive_polls: inactivePolls,
    consecutive_errors: 0,
    quota_until: prev.quota_until !== null && prev.quota_until > now ? prev.quota_until : null,
    snapshot_sig: sig,
    last_seen_at: now,
  };
  return {
    state,
    // Nothing heard is not a listen (e.g. the last item left paused at 0 when a context ends).
    finished: finished.filter((f) => f.listened_ms > 0),
    ...(changed ? { snapshot: snapshotOf(obs, now) } : {}),
    nextDelaySeconds,
    stop,
    ...(stop ? { stopReason: "idle" as const } : {}),
  };
}

/** Ends the loop deliberately (shutdown): whatever is open is finished, nothing is lost. */
export function flush(prev: TrackerState, opts: TrackerOptions = DEFAULT_TRACKER_OPTIONS): FinishedListen[] {
  return prev.open ? [finishNow(prev.open, opts)].filter((f) => f.listened_ms > 0) : [];
}
