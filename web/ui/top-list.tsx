import type { ComponentChildren } from "preact";
import { Link } from "../router.tsx";
import { formatCount, formatDuration } from "./format.ts";

/** A ranked list (top tracks, artists, albums, genres) with a bar for each row's share. */

export interface TopRow {
  key: string;
  name: ComponentChildren;
  detail?: ComponentChildren;
  href?: string | undefined;
  image?: string | null | undefined;
  plays: number;
  listened_ms: number;
}

export function TopList({ rows, by, label }: { rows: TopRow[]; by: "plays" | "time"; label: string }) {
  if (rows.length === 0) return <p class="muted">Nothing in this period.</p>;
  const value = (r: TopRow) => (by === "plays" ? r.plays : r.listened_ms);
  const max = Math.max(1, ...rows.map(value));
  return (
    <ol class="top-list" aria-label={label}>
      {rows.map((r) => (
        <li key={r.key}>
          {r.image ? (
            <img src={r.image} alt="" width={40} height={40} loading="lazy" />
          ) : (
            <span class="thumb" aria-hidden="true" />
          )}
          <span class="top-text">
            <span class="top-name">{r.href ? <Link href={r.href}>{r.name}</Link> : r.name}</span>
            {r.detail ? <span class="muted small">{r.detail}</span> : null}
            <meter min={0} max={max} value={value(r)} aria-hidden="true" />
          </span>
          <span class="top-value">
            {by === "plays" ? `${formatCount(r.plays)} plays` : formatDuration(r.listened_ms)}
          </span>
        </li>
      ))}
    </ol>
  );
}

/** A table with a caption; `rows` already rendered as cells. */
export function Table({
  caption,
  head,
  children,
}: {
  caption: string;
  head: string[];
  children: ComponentChildren;
}) {
  return (
    // Focusable: a table wider than a phone scrolls sideways, and the keyboard must reach it.
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region needs keyboard access
    <section class="table-wrap" tabIndex={0} aria-label={caption}>
      <table>
        <caption class="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {head.map((h) => (
              <th scope="col" key={h}>
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </section>
  );
}
