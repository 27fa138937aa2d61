import { useMemo, useState } from "preact/hooks";
import { api, withQuery } from "../api.ts";
import { hrefOf, type PageProps, setQuery } from "../router.tsx";
import { useSession } from "../session.tsx";
import type {
  Dashboard,
  SpotifyAuthorizeResponse,
  Timeline,
  TopAlbums,
  TopArtists,
  TopGenres,
  TopTracks,
} from "../types.ts";
import { TimeChart } from "../ui/chart.tsx";
import { formatCount, formatDate, formatDuration, formatPercent } from "../ui/format.ts";
import { ClockHeatmap } from "../ui/heatmap.tsx";
import { NowPlaying } from "../ui/now-playing.tsx";
import { RangePicker, type RangeValue, rangeFromQuery, rangeParams, rangeQuery } from "../ui/range.tsx";
import { Async, ErrorBox, Panel } from "../ui/states.tsx";
import { TopList, type TopRow } from "../ui/top-list.tsx";
import { useApi } from "../ui/use-api.ts";

/**
 * The overview: now playing, then the chosen period's summary, top lists, listening clock,
 * timeline and mood. One GET /dashboard for most of it; the top lists and the timeline ask their
 * own statistics routes (albums, by time, the bucket that suits the period).
 */
export function OverviewPage({ route }: PageProps) {
  const { me } = useSession();
  const range = rangeFromQuery(route.query);
  const params = rangeParams(range);
  const url = withQuery("/dashboard", { ...params, limit: 10 });
  const dashboard = useApi(url, () => api.get<Dashboard>(url));

  return (
    <div aria-busy={dashboard.loading}>
      <h1>Overview</h1>
      {me.linked ? null : <LinkSpotify />}
      <RangePicker value={range} onChange={(v) => setQuery(rangeQuery(v))} />
      <div class="grid">
        <Panel title="Now playing">
          <Async state={dashboard}>{(d) => <NowPlaying snapshot={d.now_playing} />}</Async>
        </Panel>
        <Panel title="Summary">
          <Async state={dashboard}>{(d) => <SummaryStats summary={d.summary} />}</Async>
        </Panel>
        <TopPanel range={range} />
        <Panel title="Listening clock">
          <Async state={dashboard}>{(d) => <ClockHeatmap values={d.clock.plays} unit="plays" />}</Async>
        </Panel>
        <TimelinePanel range={range} />
        <Async state={dashboard}>{(d) => (hasMood(d.mood) ? <MoodPanel mood={d.mood} /> : null)}</Async>
      </div>
    </div>
  );
}

function LinkSpotify() {
  const [error, setError] = useState<unknown>(undefined);
  const link = async () => {
    try {
      const { url } = await api.get<SpotifyAuthorizeResponse>("/spotify/authorize");
      location.assign(url);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <div class="panel notice">
      <p>Spotify is not linked yet: nothing is recorded until it is.</p>
      <button type="button" class="primary" onClick={link}>
        Link Spotify
      </button>
      {error !== undefined ? <ErrorBox error={error} /> : null}
    </div>
  );
}

function SummaryStats({ summary }: { summary: Dashboard["summary"] }) {
  const items: [string, string, string][] = [
    ["plays", "Plays", formatCount(summary.plays)],
    ["time", "Listened", formatDuration(summary.listened_ms)],
    ["tracks", "Tracks", formatCount(summary.distinct_tracks)],
    ["artists", "Artists", formatCount(summary.distinct_artists)],
    ["skip-rate", "Skipped", formatPercent(summary.skip_rate)],
    ["streak", "Longest streak", summary.longest_streak ? `${summary.longest_streak.days} d` : "–"],
  ];
  return (
    <dl class="stats">
      {items.map(([key, label, value]) => (
        <div key={key}>
          <dt>{label}</dt>
          <dd data-stat={key}>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

type TopKind = "tracks" | "artists" | "albums" | "genres";
const TOP_KINDS: Record<TopKind, string> = {
  tracks: "Tracks",
  artists: "Artists",
  albums: "Albums",
  genres: "Genres",
};

function TopPanel({ range }: { range: RangeValue }) {
  const [kind, setKind] = useState<TopKind>("tracks");
  const [by, setBy] = useState<"plays" | "time">("plays");
  const url = withQuery(`/stats/top-${kind}`, { ...rangeParams(range), by, limit: 10 });
  const top = useApi(url, () => api.get<TopTracks | TopArtists | TopAlbums | TopGenres>(url));
  return (
    <Panel title="Top">
      <fieldset class="tabs">
        <legend class="visually-hidden">What to rank</legend>
        {(Object.keys(TOP_KINDS) as TopKind[]).map((k) => (
          <button type="button" key={k} aria-pressed={kind === k} onClick={() => setKind(k)}>
            {TOP_KINDS[k]}
          </button>
        ))}
      </fieldset>
      <fieldset class="tabs">
        <legend class="visually-hidden">Rank by</legend>
        <button type="button" aria-pressed={by === "plays"} onClick={() => setBy("plays")}>
          By plays
        </button>
        <button type="button" aria-pressed={by === "time"} onClick={() => setBy("time")}>
          By time
        </button>
      </fieldset>
      <Async state={top}>
        {(data) => (
          <TopList rows={topRows(kind, data)} by={by} label={`Top ${TOP_KINDS[kind].toLowerCase()}`} />
        )}
      </Async>
    </Panel>
  );
}

function topRows(kind: TopKind, data: TopTracks | TopArtists | TopAlbums | TopGenres): TopRow[] {
  switch (kind) {
    case "tracks":
      return (data as TopTracks).items.map((t) => ({
        key: t.track_id,
        name: t.name ?? t.track_id,
        detail: t.artists.join(", "),
        href: hrefOf("tracks", t.track_id),
        image: t.image_url,
        plays: t.plays,
        listened_ms: t.listened_ms,
      }));
    case "artists":
      return (data as TopArtists).items.map((a) => ({
        key: a.artist_id,
        name: a.name ?? a.artist_id,
        detail: a.genres?.slice(0, 3).join(", "),
        href: hrefOf("artists", a.artist_id),
        image: a.image_url,
        plays: a.plays,
        listened_ms: a.listened_ms,
      }));
    case "albums":
      return (data as TopAlbums).items.map((a) => ({
        key: a.album_id,
        name: a.name ?? a.album_id,
        image: a.image_url,
        plays: a.plays,
        listened_ms: a.listened_ms,
      }));
    case "genres":
      return (data as TopGenres).items.map((g) => ({
        key: g.genre,
        name: g.genre,
        detail: `${formatCount(g.artists)} artists`,
        plays: g.plays,
        listened_ms: g.listened_ms,
      }));
  }
}

/** Days for short periods, weeks for months, months for years: a readable number of points. */
function bucketFor(range: RangeValue): "day" | "week" | "month" {
  if ("range" in range)
    return range.range === "7d" || range.range === "4w" ? "day" : range.range === "all" ? "month" : "week";
  const days = (Date.parse(range.to) - Date.parse(range.from)) / 86_400_000;
  return days <= 62 ? "day" : days <= 730 ? "week" : "month";
}

function TimelinePanel({ range }: { range: RangeValue }) {
  const bucket = bucketFor(range);
  const url = withQuery("/stats/timeline", { ...rangeParams(range), bucket });
  const timeline = useApi(url, () => api.get<Timeline>(url));
  return (
    <Panel title="Timeline" wide>
      <Async state={timeline}>{(t) => <TimelineChart timeline={t} />}</Async>
    </Panel>
  );
}

function TimelineChart({ timeline }: { timeline: Timeline }) {
  const data = useMemo(() => {
    const x = timeline.points.map((p) => Date.parse(`${p.start}T00:00:00`) / 1000);
    return {
      x,
      series: [{ label: "Minutes", values: timeline.points.map((p) => Math.round(p.listened_ms / 60_000)) }],
    };
  }, [timeline]);
  if (timeline.points.length === 0) return <p class="muted">Nothing in this period.</p>;
  const first = timeline.points[0];
  const last = timeline.points.at(-1);
  return (
    <TimeChart
      x={data.x}
      series={data.series}
      label={`Minutes listened per ${timeline.bucket}${first && last ? `, ${formatDate(first.start)} to ${formatDate(last.start)}` : ""}`}
    />
  );
}

/** The mood panel shows once the background analysis has looked at some of the period's tracks. */
const hasMood = (mood: Dashboard["mood"]) => mood.emotions.length > 0 && mood.coverage.pending < 1;

function MoodPanel({ mood }: { mood: Dashboard["mood"] }) {
  return (
    <Panel title="Mood">
      <p>{mood.summary}</p>
      <ul class="emotions">
        {mood.emotions.map((e) => (
          <li key={e.label}>
            <span>{e.label}</span>
            <meter min={0} max={1} value={e.share} aria-label={`${e.label} share`} />
            <span class="small">{formatPercent(e.share)}</span>
          </li>
        ))}
      </ul>
      <p class="muted small">
        From {formatPercent(mood.coverage.lyrics)} of listening time with lyrics analysed,{" "}
        {formatPercent(mood.coverage.title)} by title.
      </p>
    </Panel>
  );
}
