import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";

/**
 * A time-series chart (uPlot: ~50 KB minified, canvas, fast with years of daily points, kept up
 * to date; styles set through the DOM, so the strict CSP holds). Colours come from the page's
 * CSS variables, so the chart follows light and dark.
 */

export interface Series {
  label: string;
  /** One value per x. */
  values: number[];
  /** Formats a value for the legend and the axis. */
  format?: (v: number) => string;
}

const cssVar = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

export function TimeChart({
  x,
  series,
  label,
  height = 220,
}: {
  /** Seconds since the epoch, one per point. */
  x: number[];
  series: Series[];
  /** What the chart shows, for screen readers. */
  label: string;
  height?: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const accent = cssVar("--accent") || "#1db954";
    const text = cssVar("--text-muted") || "#666";
    const grid = cssVar("--border") || "#ddd";
    const axis = { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } };
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: i === 0 ? accent : text,
          width: 2,
          fill: i === 0 ? `${accent}33` : undefined,
          ...(s.format
            ? { value: (_u: uPlot, v: number | null) => (v === null ? "–" : (s.format?.(v) ?? "")) }
            : {}),
        })),
      ],
      axes: [
        axis,
        {
          ...axis,
          size: 60,
          ...(series[0]?.format
            ? { values: (_u: uPlot, vals: number[]) => vals.map((v) => series[0]?.format?.(v) ?? String(v)) }
            : {}),
        },
      ],
      cursor: { drag: { x: false, y: false } },
    };
    const plot = new uPlot(opts, [x, ...series.map((s) => s.values)], el);
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(200, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [x, series, height]);
  return <div class="chart" ref={box} role="img" aria-label={label} />;
}
