import type { ItemKind, Play, Track } from "../domain/entities.ts";
import type { NowPlayingSnapshot } from "../domain/tracker.ts";
import type { StatsRange } from "../stats/plan.ts";

/**
 * What the now-playing JSON and cards show, derived purely from the poll loop's snapshot (or
 * the newest stored play) and the request time. The snapshot is written only when something
 * changes, so the progress a reader sees is extrapolated here, never stored.
 */

export type NowPlayingState = "playing" | "paused" | "last_played" | "empty";

export interface NowPlayingView {
  state: NowPlayingState;
  is_playing: boolean;
  kind: ItemKind | null;
  title: string | null;
  artists: string[];
  album: string | null;
  /** The image URL Spotify gave (the card embeds it; the JSON links it). */
  album_art: string | null;
  /** Keys the art cache; null for episodes and local files. */
  album_id: string | null;
  url: string | null;
  progress_ms: number | null;
  duration_ms: number | null;
  device_type: string | null;
  /** When the shown item was last played (last_played only). */
  played_at: string | null;
  /** When the poll loop last saw the player change; null when the view comes from the store. */
  observed_at: string | null;
}

/**
 * Progress at `nowMs`: moves on from the observation while playing, frozen while paused,
 * never below 0 and never past the duration (a track that ended between two polls shows as
 * finished, not as 4:12 of 3:30).
 */
export function extrapolateProgress(
  s: { progress_ms: number; is_playing: boolean; observed_at_ms: number; duration_ms: number },
  nowMs: number,
): number {
  const raw = s.is_playing ? s.progress_ms + Math.max(0, nowMs - s.observed_at_ms) : s.progress_ms;
  const upper = s.duration_ms > 0 ? s.duration_ms : Number.POSITIVE_INFINITY;
  return Math.round(Math.min(upper, Math.max(0, raw)));
}

/**
 * A "playing" snapshot whose track should have ended this long ago means nobody is updating it
 * (the loop writes a new snapshot at every item change, within seconds): show it as played.
 */
export const STALE_PLAYING_GRACE_MS = 2 * 60_000;
/** The loop gives up on a pause after 10 minutes; a pause older than this reads as "last played". */
export const STALE_PAUSE_MS = 30 * 60_000;

const EMPTY: NowPlayingView = {
  state: "empty",
  is_playing: false,
  kind: null,
  title: null,
  artists: [],
  album: null,
  album_art: null,
  album_id: null,
  url: null,
  progress_ms: null,
  duration_ms: null,
  device_type: null,
  played_at: null,
  observed_at: null,
};

export const emptyNowPlaying = (): NowPlayingView => ({ ...EMPTY, artists: [] });

/** The view for a snapshot, or null when the snapshot shows nothing (then the store decides). */
export function viewFromSnapshot(snapshot: NowPlayingSnapshot | null, nowMs: number): NowPlayingView | null {
  const item = snapshot?.item;
  if (!snapshot || !item) return null;
  const observedMs = Date.parse(snapshot.observed_at);
  if (!Number.isFinite(observedMs)) return null;
  const progress = extrapolateProgress(
    {
      progress_ms: snapshot.progress_ms,
      is_playing: snapshot.is_playing,
      observed_at_ms: observedMs,
      duration_ms: item.duration_ms,
    },
    nowMs,
  );
  const base: NowPlayingView = {
    ...EMPTY,
    kind: item.kind,
    title: item.name,
    artists: item.artists.map((a) => a.name),
    album: item.album?.name ?? null,
    album_art: item.album?.image_url ?? null,
    album_id: item.album?.id ?? null,
    url: item.url ?? spotifyUrl(item.kind, item.key),
    duration_ms: item.duration_ms,
    device_type: snapshot.device?.type ?? null,
    observed_at: snapshot.observed_at,
  };
  if (snapshot.is_playing) {
    const endMs = observedMs + Math.max(0, item.duration_ms - snapshot.progress_ms);
    if (item.duration_ms > 0 && nowMs > endMs + STALE_PLAYING_GRACE_MS) {
      return {
        ...base,
        state: "last_played",
        progress_ms: item.duration_ms,
        played_at: new Date(endMs).toISOString(),
      };
    }
    return { ...base, state: "playing", is_playing: true, progress_ms: progress };
  }
  if (nowMs - observedMs > STALE_PAUSE_MS) {
    return { ...base, state: "last_played", progress_ms: progress, played_at: snapshot.observed_at };
  }
  return { ...base, state: "paused", progress_ms: progress };
}

/** The newest stored play (and its track, for the art) as "last played". */
export function viewFromPlay(play: Play, track: Track | null): NowPlayingView {
  return {
    ...EMPTY,
    state: "last_played",
    kind: play.kind,
    title: play.name,
    artists: play.artists.map((a) => a.name),
    album: track?.album?.name ?? null,
    album_art: track?.album?.image_url ?? null,
    album_id: play.album_id ?? track?.album?.id ?? null,
    url: spotifyUrl(play.kind, play.track_id),
    progress_ms: play.listened_ms,
    duration_ms: play.duration_ms,
    device_type: play.device_type,
    played_at: play.ended_at,
  };
}

/** open.spotify.com link for a stored id; local files have none. */
export function spotifyUrl(kind: ItemKind, id: string): string | null {
  if (kind === "local" || !/^[0-9A-Za-z]{1,64}$/.test(id)) return null;
  return `https://open.spotify.com/${kind}/${id}`;
}

/** One row of the recently-played card. */
export interface RecentRow {
  title: string;
  artists: string[];
  played_at: string;
  /** Embedded art (data URI) or null for the placeholder. */
  art: string | null;
}

/** One row of the top-artists card. */
export interface TopArtistRow {
  name: string;
  plays: number;
  art: string | null;
}

/**
 * The weekly grid card: the last 7 local days (oldest first, today last) × 24 local hours,
 * each cell the listened time of the counted plays that started in it.
 */
export interface WeeklyGrid {
  tz: string;
  days: { date: string /** 0 = Monday */; weekday: number; listened_ms: number[] }[];
}

/** The year-in-review share card: a year's headline numbers and its top names. */
export interface YearCardView {
  year: number;
  /** The year is still running ("2026 so far"). */
  soFar: boolean;
  listened_ms: number;
  plays: number;
  new_artists: number;
  top_artist: string | null;
  top_track: { name: string; artists: string[] } | null;
  top_genre: string | null;
  /** 1–12, the month with the most listened time. */
  busiest_month: number | null;
  longest_streak_days: number | null;
}

export const CARD_WIDTH = { min: 300, max: 800, default: 480 } as const;

export const RANGE_LABELS: Record<StatsRange, string> = {
  "7d": "last 7 days",
  "4w": "last 4 weeks",
  "6m": "last 6 months",
  "1y": "last year",
  all: "all time",
};
