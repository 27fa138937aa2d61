import { useEffect, useState } from "preact/hooks";
import { api } from "../api.ts";
import { hrefOf, Link } from "../router.tsx";
import type { Dashboard, NowPlayingResponse } from "../types.ts";
import { formatAgo, formatClock } from "./format.ts";

/**
 * Now playing, live: the dashboard's snapshot first, then GET /me/now-playing (the signed-in
 * listener's, one cache read) every 15 s. Between answers the progress moves on its own, from
 * when it was observed, clamped to the track's length.
 */

interface Shown {
  playing: boolean;
  trackId: string | null;
  title: string | null;
  artists: string[];
  album: string | null;
  art: string | null;
  progressMs: number | null;
  durationMs: number | null;
  /** Browser time the progress was true at. */
  at: number;
  lastPlayedAt: string | null;
}

const POLL_MS = 15_000;

const fromSnapshot = (np: NonNullable<Dashboard["now_playing"]>): Shown => ({
  playing: np.is_playing,
  trackId: np.kind === "track" ? np.track_id : null,
  title: np.title,
  artists: np.artists,
  album: np.album,
  art: np.album_art,
  progressMs: np.progress_ms,
  durationMs: np.duration_ms,
  at: Date.parse(np.observed_at),
  lastPlayedAt: null,
});

const fromResponse = (np: NowPlayingResponse): Shown | null =>
  np.state === "empty"
    ? null
    : {
        playing: np.is_playing,
        trackId: null,
        title: np.title,
        artists: np.artists,
        album: np.album,
        art: np.album_art,
        progressMs: np.progress_ms,
        durationMs: np.duration_ms,
        at: Date.now(),
        lastPlayedAt: np.played_at,
      };

export function NowPlaying({ snapshot }: { snapshot: Dashboard["now_playing"] }) {
  const [shown, setShown] = useState<Shown | null>(snapshot ? fromSnapshot(snapshot) : null);
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    setShown(snapshot ? fromSnapshot(snapshot) : null);
    let live = true;
    const load = () =>
      api.get<NowPlayingResponse>("/me/now-playing").then(
        (np) => live && setShown(fromResponse(np)),
        () => undefined, // a missed poll keeps the last answer; the next one tries again
      );
    const timer = setInterval(load, POLL_MS);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [snapshot]);
  useEffect(() => {
    if (!shown?.playing) return;
    const tick = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(tick);
  }, [shown?.playing]);

  if (!shown?.title) return <p class="muted">Nothing recorded yet.</p>;
  const progress =
    shown.progressMs === null
      ? null
      : Math.min(
          shown.durationMs ?? Infinity,
          shown.progressMs + (shown.playing ? Math.max(0, now - shown.at) : 0),
        );
  return (
    <div class="now" data-playing={shown.playing ? "true" : "false"}>
      {shown.art ? (
        <img src={shown.art} alt="" width={96} height={96} />
      ) : (
        <span class="thumb" aria-hidden="true" />
      )}
      <div>
        <p class="muted small">
          {shown.playing
            ? "Playing now"
            : shown.lastPlayedAt
              ? `Last played ${formatAgo(shown.lastPlayedAt)}`
              : "Paused"}
        </p>
        <p class="now-title">
          <strong>
            {shown.trackId ? <Link href={hrefOf("tracks", shown.trackId)}>{shown.title}</Link> : shown.title}
          </strong>
        </p>
        <p class="muted">
          {shown.artists.join(", ")}
          {shown.album ? ` · ${shown.album}` : ""}
        </p>
        {progress !== null && shown.durationMs ? (
          <div class="now-progress">
            <progress max={shown.durationMs} value={progress} aria-label="Progress" />
            <span class="small muted" data-progress-ms={Math.floor(progress)}>
              {formatClock(progress)} / {formatClock(shown.durationMs)}
            </span>
          </div>
        ) : null}
      </div>
    </div>
  );
}
