import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { api, errorText, withQuery } from "../api.ts";
import { hrefOf, Link, type PageProps, setQuery } from "../router.tsx";
import type { Page, Play } from "../types.ts";
import { formatDateTime, formatDuration } from "../ui/format.ts";
import { RangePicker, type RangeValue, rangeFromQuery, rangeQuery } from "../ui/range.tsx";
import { ErrorBox, Loading } from "../ui/states.tsx";
import { Table } from "../ui/top-list.tsx";

/**
 * Every listen, newest first, skips marked: filtered by period, track, artist and counted, read
 * page by page on the API's cursor as the list scrolls into view; a wrong play can be deleted
 * (its counters and statistics are taken back with it).
 */

const PAGE_SIZE = 50;

/** A play's id: its storage key, as DELETE /plays/{id} takes it. */
const playId = (p: Play) => `${p.listened_at}#${p.track_id}`;

/** A period as the instants GET /plays takes, in the browser's zone (whole local days). */
export function periodBounds(range: RangeValue, now = new Date()): { from?: string; to?: string } {
  const midnight = (d: Date) => new Date(d.getFullYear(), d.getMonth(), d.getDate());
  if (!("range" in range)) {
    const [fy, fm, fd] = range.from.split("-").map(Number);
    const [ty, tm, td] = range.to.split("-").map(Number);
    return {
      from: new Date(fy ?? 1970, (fm ?? 1) - 1, fd ?? 1).toISOString(),
      to: new Date(ty ?? 1970, (tm ?? 1) - 1, (td ?? 1) + 1).toISOString(),
    };
  }
  const today = midnight(now);
  const back = (days: number, months = 0) =>
    new Date(today.getFullYear(), today.getMonth() - months, today.getDate() - days).toISOString();
  switch (range.range) {
    case "7d":
      return { from: back(6) };
    case "4w":
      return { from: back(27) };
    case "6m":
      return { from: back(0, 6) };
    case "1y":
      return { from: back(0, 12) };
    case "all":
      return {};
  }
}

type Counted = "all" | "true" | "false";

interface ListState {
  key: string;
  plays: Play[];
  /** undefined: nothing read yet; null: the end was reached. */
  cursor: string | null | undefined;
  loading: boolean;
  error: unknown;
}
const fresh = (key: string): ListState => ({
  key,
  plays: [],
  cursor: undefined,
  loading: false,
  error: undefined,
});

export function HistoryPage({ route }: PageProps) {
  const range = rangeFromQuery(route.query, "all");
  const trackId = route.query.get("track_id");
  const artistId = route.query.get("artist_id");
  const counted = (route.query.get("counted") ?? "all") as Counted;
  const bounds = periodBounds(range);
  const filters = {
    ...bounds,
    track_id: trackId,
    artist_id: artistId,
    counted: counted === "all" ? null : counted,
    limit: PAGE_SIZE,
  };
  const key = withQuery("/plays", filters);

  // The list belongs to one filter (`key`): a new filter starts it again, and an answer that
  // arrives for an older filter is dropped.
  const [list, setList] = useState<ListState>(() => fresh(key));
  const current = list.key === key ? list : fresh(key);
  const { plays, cursor, loading, error } = current;
  const [status, setStatus] = useState("");
  const inFlight = useRef<string | null>(null);

  const loadMore = useCallback(async () => {
    if (loading || cursor === null || error !== undefined || inFlight.current === key) return;
    inFlight.current = key;
    setList({ ...current, loading: true });
    try {
      const page = await api.get<Page<Play>>("/plays", { ...filters, ...(cursor ? { cursor } : {}) });
      setList((before) => {
        if (before.key !== key) return before;
        const seen = new Set(before.plays.map(playId));
        return {
          key,
          plays: [...before.plays, ...page.items.filter((p) => !seen.has(playId(p)))],
          cursor: page.next_cursor,
          loading: false,
          error: undefined,
        };
      });
    } catch (err) {
      setList((before) => (before.key === key ? { ...before, loading: false, error: err } : before));
    } finally {
      if (inFlight.current === key) inFlight.current = null;
    }
  }, [key, current, cursor, loading, error]);

  const setPlays = (update: (before: Play[]) => Play[]) =>
    setList((before) => (before.key === key ? { ...before, plays: update(before.plays) } : before));
  const retry = () => setList((before) => ({ ...before, error: undefined }));

  // Infinite scroll: whenever the end of the list is in view and there is more, read the next page.
  const sentinel = useRef<HTMLDivElement>(null);
  const [atEnd, setAtEnd] = useState(false);
  useEffect(() => {
    const el = sentinel.current;
    if (!el) return;
    const observer = new IntersectionObserver((entries) => setAtEnd(entries.some((e) => e.isIntersecting)), {
      rootMargin: "400px",
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, []);
  useEffect(() => {
    if ((atEnd || cursor === undefined) && !loading) void loadMore();
  }, [atEnd, cursor, loading, loadMore]);

  const remove = async (play: Play) => {
    if (
      !confirm(
        `Delete the listen of “${play.name}” on ${formatDateTime(play.listened_at)}? Its counts are taken back too.`,
      )
    )
      return;
    try {
      await api.delete(`/plays/${encodeURIComponent(playId(play))}`);
      setPlays((before) => before.filter((p) => playId(p) !== playId(play)));
      setStatus(`Deleted the listen of “${play.name}” on ${formatDateTime(play.listened_at)}.`);
    } catch (err) {
      setStatus(`Could not delete it: ${errorText(err)}`);
    }
  };

  const trackName = trackId ? (plays.find((p) => p.track_id === trackId)?.name ?? trackId) : null;
  const artistName = artistId
    ? (plays.flatMap((p) => p.artists).find((a) => a.id === artistId)?.name ?? artistId)
    : null;

  return (
    <div aria-busy={loading}>
      <h1>History</h1>
      <RangePicker value={range} onChange={(v) => setQuery(rangeQuery(v))} />
      <div class="filters">
        <label>
          Listens
          <select
            name="counted"
            value={counted}
            onChange={(e) =>
              setQuery({ counted: e.currentTarget.value === "all" ? null : e.currentTarget.value })
            }
          >
            <option value="all">Plays and skips</option>
            <option value="true">Counted plays only</option>
            <option value="false">Skips only</option>
          </select>
        </label>
        {trackName ? (
          <button type="button" class="chip" onClick={() => setQuery({ track_id: null })}>
            Track: {trackName} <span aria-hidden="true">×</span>
            <span class="visually-hidden"> (remove this filter)</span>
          </button>
        ) : null}
        {artistName ? (
          <button type="button" class="chip" onClick={() => setQuery({ artist_id: null })}>
            Artist: {artistName} <span aria-hidden="true">×</span>
            <span class="visually-hidden"> (remove this filter)</span>
          </button>
        ) : null}
      </div>
      <p class="visually-hidden" role="status" aria-live="polite">
        {status}
      </p>
      {status ? <p class="small muted">{status}</p> : null}
      {plays.length > 0 ? (
        <Table caption="Listens, newest first" head={["When", "Track", "Artists", "Listened", "Device", ""]}>
          {plays.map((p) => (
            <tr key={playId(p)} class={p.counted ? undefined : "skip"} data-play-id={playId(p)}>
              <td>{formatDateTime(p.listened_at)}</td>
              <td>
                <Link href={hrefOf("tracks", p.track_id)}>{p.name}</Link>
                {p.counted ? null : <span class="badge">skipped</span>}
                {p.estimated ? (
                  <span class="badge" title="The start time was estimated (backfill or import)">
                    ~
                  </span>
                ) : null}
                <button
                  type="button"
                  class="link-button small filter-track"
                  onClick={() => setQuery({ track_id: p.track_id })}
                >
                  only this<span class="visually-hidden"> track ({p.name})</span>
                </button>
              </td>
              <td>
                {p.artists.map((a, i) => (
                  <span key={`${a.id ?? a.name}-${i}`}>
                    {i > 0 ? ", " : ""}
                    {a.id ? <Link href={hrefOf("artists", a.id)}>{a.name}</Link> : a.name}
                  </span>
                ))}
              </td>
              <td>{formatDuration(p.listened_ms)}</td>
              <td class="col-device">{p.device_name ?? "–"}</td>
              <td>
                <button
                  type="button"
                  class="danger small"
                  onClick={() => remove(p)}
                  aria-label={`Delete the listen of ${p.name} on ${formatDateTime(p.listened_at)}`}
                >
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </Table>
      ) : null}
      {error !== undefined ? <ErrorBox error={error} retry={retry} /> : null}
      {loading ? <Loading /> : null}
      {!loading && cursor === null && plays.length === 0 && error === undefined ? (
        <p class="muted">No listens match.</p>
      ) : null}
      {cursor === null && plays.length > 0 ? (
        <p class="muted small">That is all: {plays.length} listens.</p>
      ) : null}
      <div ref={sentinel} class="sentinel" />
      {cursor && !loading ? (
        <button type="button" onClick={() => void loadMore()}>
          Load more
        </button>
      ) : null}
    </div>
  );
}
