import type { ComponentChildren } from "preact";
import { useMemo } from "preact/hooks";
import { api } from "../api.ts";
import { type Route, setQuery } from "../router.tsx";
import type { ItemStats } from "../types.ts";
import { TimeChart } from "./chart.tsx";
import {
  browserTimeZone,
  formatCount,
  formatDate,
  formatDateTime,
  formatDuration,
  formatPercent,
} from "./format.ts";
import { Panel } from "./states.tsx";
import { useApi } from "./use-api.ts";

/**
 * What the track and the artist pages share: the counters in tiles, first and last listen, and
 * the listens per local week or month as a chart (GET /stats/tracks|artists/{id} answer both
 * with the same totals and series).
 */

export type Bucket = "week" | "month";
const bucketOf = (q: URLSearchParams): Bucket => (q.get("bucket") === "week" ? "week" : "month");

/** A track's or an artist's page data: GET /stats/{kind}/{id} in the browser's zone, by the bucket asked. */
export function useItemStats<T extends ItemStats>(kind: "tracks" | "artists", route: Route) {
  const query = { tz: browserTimeZone(), bucket: bucketOf(route.query) };
  const path = `/stats/${kind}/${encodeURIComponent(route.param ?? "")}`;
  return useApi(`${path}?${new URLSearchParams(query)}`, () => api.get<T>(path, query));
}

export function ItemHeader({
  image,
  title,
  children,
}: {
  image: string | null;
  title: string;
  children?: ComponentChildren;
}) {
  return (
    <header class="item-header">
      {image ? <img src={image} alt="" width={96} height={96} /> : <span class="thumb" aria-hidden="true" />}
      <div>
        <h1>{title}</h1>
        {children}
      </div>
    </header>
  );
}

export function ItemTotals({ s }: { s: ItemStats }) {
  return (
    <dl class="stats" data-part="totals">
      <div>
        <dt>Plays</dt>
        <dd data-value="plays">{formatCount(s.plays)}</dd>
      </div>
      <div>
        <dt>Listened</dt>
        <dd data-value="listened">{formatDuration(s.listened_ms)}</dd>
      </div>
      <div>
        <dt>Skip rate</dt>
        <dd data-value="skip-rate">{formatPercent(s.skip_rate)}</dd>
      </div>
      <div>
        <dt>Skips</dt>
        <dd data-value="skips">{formatCount(s.skips)}</dd>
      </div>
      <div>
        <dt>First listened</dt>
        <dd class="small-value" data-value="first">
          <time dateTime={s.first_listened_at}>{formatDateTime(s.first_listened_at)}</time>
        </dd>
      </div>
      <div>
        <dt>Last listened</dt>
        <dd class="small-value" data-value="last">
          <time dateTime={s.last_listened_at}>{formatDateTime(s.last_listened_at)}</time>
        </dd>
      </div>
    </dl>
  );
}

/** Seconds since the epoch of a local date's midnight, for uPlot's time axis. */
const secondsOf = (day: string) => {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(y ?? 1970, (m ?? 1) - 1, d ?? 1).getTime() / 1000;
};

export function ListensOverTime({ s, name }: { s: ItemStats; name: string }) {
  const x = useMemo(() => s.series.map((p) => secondsOf(p.bucket)), [s]);
  const series = useMemo(
    () => [{ label: "Plays", values: s.series.map((p) => p.plays), format: (v: number) => formatCount(v) }],
    [s],
  );
  return (
    <Panel title="Listens over time" wide>
      <fieldset class="segmented" aria-label="Buckets">
        {(["week", "month"] as const).map((b) => (
          <button key={b} type="button" aria-pressed={s.bucket === b} onClick={() => setQuery({ bucket: b })}>
            Per {b}
          </button>
        ))}
      </fieldset>
      {s.series.length > 1 ? (
        <TimeChart
          x={x}
          series={series}
          label={`Plays of ${name} per ${s.bucket}, ${s.series.length} ${s.bucket}s`}
        />
      ) : (
        // One bucket is no line: say it instead.
        <p>
          Every play so far was in the {s.bucket} of {formatDate(s.series[0]?.bucket ?? s.first_listened_at)}.
        </p>
      )}
    </Panel>
  );
}
