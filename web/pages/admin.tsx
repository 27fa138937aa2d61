import { useEffect, useState } from "preact/hooks";
import { api, errorText } from "../api.ts";
import type { PageProps } from "../router.tsx";
import type { JobRun, Listeners, SystemStats } from "../types.ts";
import { formatAgo, formatCount, formatDateTime, formatDuration } from "../ui/format.ts";
import { Async, Panel } from "../ui/states.tsx";
import { Table } from "../ui/top-list.tsx";
import { useApi } from "../ui/use-api.ts";

/**
 * The owner's view of the deployment, in sentences rather than JSON: is capture running, when
 * did Spotify last answer, what the background jobs did, how big the hoard is, who is in the
 * household. Read from GET /admin/system-stats and GET /admin/listeners, again every 15 s.
 */

const REFRESH_MS = 15_000;

/** The jobs /admin/system-stats reports, in words. */
const JOB_NAMES: Record<string, string> = {
  backfill: "Recently-played backfill (catches listens the loop missed)",
  "metadata-sync": "Spotify metadata sync (genres, pictures, imported tracks)",
  "rebuild-aggregates": "Statistics rebuild",
  analysis: "Lyrics and mood analysis",
};

/** A clock that ticks every second, so "3 s ago" stays true between refreshes. */
function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return now;
}

function useRefreshing<T>(path: string) {
  const state = useApi(path, () => api.get<T>(path));
  const { reload } = state;
  useEffect(() => {
    const t = setInterval(reload, REFRESH_MS);
    return () => clearInterval(t);
  }, [reload]);
  return state;
}

const bytes = (n: number) =>
  n >= 1e9
    ? `${(n / 1e9).toFixed(1)} GB`
    : n >= 1e6
      ? `${(n / 1e6).toFixed(1)} MB`
      : `${Math.max(1, Math.round(n / 1e3))} kB`;

/** A job's result as a few "what it did" phrases: its numbers, and its error when it failed. */
export function describeResult(result: Record<string, unknown>): string {
  const parts: string[] = [];
  const words = (k: string) => k.replace(/_/g, " ");
  for (const [k, v] of Object.entries(result)) {
    if (typeof v === "number") parts.push(`${words(k)} ${formatCount(v)}`);
    else if (typeof v === "string" && (k === "error" || k === "message")) parts.push(v);
    else if (v && typeof v === "object" && !Array.isArray(v)) {
      for (const [k2, v2] of Object.entries(v)) {
        if (typeof v2 === "number" && v2 !== 0) parts.push(`${words(k)} ${words(k2)} ${formatCount(v2)}`);
      }
    }
  }
  return parts.slice(0, 8).join(" · ");
}

function JobLine({ run, now }: { run: JobRun; now: number }) {
  const took = Date.parse(run.finished_at) - Date.parse(run.started_at);
  const what = describeResult(run.result);
  return (
    <>
      {run.ok ? "Ran" : "Failed"} {formatAgo(run.finished_at, now)} (took {formatDuration(took)})
      {what ? `: ${what}` : "."}
    </>
  );
}

function CaptureSentences({ s, now }: { s: SystemStats; now: number }) {
  const status = s.loop.status as { last_successful_poll_at?: unknown } | null;
  const lastPoll =
    typeof status?.last_successful_poll_at === "string" ? status.last_successful_poll_at : null;
  return (
    <ul class="plain-list" data-part="capture">
      <li>
        {s.loop.alive
          ? "The playback loop is running: it looks at your player every few seconds."
          : "The playback loop is resting: nothing played for a while. A watchdog looks every minute and starts it when music plays."}
      </li>
      <li>
        {lastPoll
          ? `Spotify last answered a poll ${formatAgo(lastPoll, now)} (noted at most every 5 minutes).`
          : "No poll has been answered recently."}
      </li>
      {s.loop.quota_until ? (
        <li class="error">
          Spotify asked us to stay away until {formatDateTime(s.loop.quota_until)}; capture resumes then and
          catches up from recently played.
        </li>
      ) : null}
    </ul>
  );
}

export function AdminPage(_props: PageProps) {
  const now = useNow();
  const stats = useRefreshing<SystemStats>("/admin/system-stats");
  const listeners = useRefreshing<Listeners>("/admin/listeners");
  const [cleared, setCleared] = useState("");
  const clearCache = async () => {
    try {
      const r = await api.post<{ cleared: number }>("/admin/clear-cache");
      setCleared(`Cleared ${formatCount(r.cleared)} cached answers.`);
    } catch (err) {
      setCleared(errorText(err));
    }
  };
  return (
    <section>
      <h1>Admin</h1>
      <Async state={stats}>
        {(s) => (
          <div class="grid">
            <Panel title="Capture">
              <CaptureSentences s={s} now={now} />
            </Panel>
            <Panel title="The hoard">
              <ul class="plain-list" data-part="hoard">
                <li>
                  {formatCount(s.counts.plays)} listens stored, {formatCount(s.counts.counted_plays)} of them
                  counted as plays (the rest are skips).
                </li>
                <li>
                  {formatCount(s.counts.tracks)} tracks by {formatCount(s.counts.artists)} artists on{" "}
                  {formatCount(s.counts.albums)} albums.
                </li>
                <li>
                  {s.table.size_bytes !== null
                    ? `The table ${s.table.name} holds ${bytes(s.table.size_bytes)} in ${formatCount(s.table.item_count ?? 0)} items (DynamoDB's figures, updated about every 6 hours).`
                    : `The table ${s.table.name} does not report its size here.`}
                </li>
                <li>
                  {s.cache.kind === "upstash" ? "Upstash Redis" : "An in-memory cache"}
                  {s.cache.keys !== null ? ` holds ${formatCount(s.cache.keys)} keys.` : "."}{" "}
                  <button type="button" class="link-button" onClick={clearCache}>
                    Clear cached rankings
                  </button>{" "}
                  <span role="status" class="muted small">
                    {cleared}
                  </span>
                </li>
                <li>
                  {s.analysis.emotions_configured
                    ? `${formatCount(s.analysis.analyzed_tracks)} of ${formatCount(s.analysis.tracks)} tracks have their mood analysed (${s.analysis.model}).`
                    : "Mood analysis is off: set HF_TOKEN to turn it on."}
                </li>
              </ul>
            </Panel>
            <Panel title="Background jobs" wide>
              <ul class="plain-list" data-part="jobs">
                {Object.entries(s.jobs).map(([job, { last }]) => (
                  <li key={job}>
                    <strong>{JOB_NAMES[job] ?? job}</strong>:{" "}
                    {last ? <JobLine run={last} now={now} /> : "has not run yet."}
                  </li>
                ))}
              </ul>
            </Panel>
          </div>
        )}
      </Async>
      <Panel title="Listeners" wide>
        <Async state={listeners}>
          {(l) => (
            <Table caption="Listeners" head={["Handle", "Spotify", "Plays", "Last poll", "Loop", "Cards"]}>
              {l.items.map((x) => (
                <tr key={x.listener_id}>
                  <th scope="row">
                    {x.handle}
                    {x.role === "owner" ? <span class="badge">owner</span> : null}
                  </th>
                  <td>{x.needs_reauth ? "needs linking again" : x.linked ? "linked" : "not linked"}</td>
                  <td>{formatCount(x.counted_plays)}</td>
                  <td>{x.last_poll_at ? formatAgo(x.last_poll_at, now) : "never"}</td>
                  <td>{x.loop_alive ? "running" : "resting"}</td>
                  <td>{x.public ? "public" : "private"}</td>
                </tr>
              ))}
            </Table>
          )}
        </Async>
      </Panel>
    </section>
  );
}
