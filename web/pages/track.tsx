import { hrefOf, Link, type PageProps } from "../router.tsx";
import type { TrackStats } from "../types.ts";
import { formatClock } from "../ui/format.ts";
import { ItemHeader, ItemTotals, ListensOverTime, useItemStats } from "../ui/item-stats.tsx";
import { Async, Panel } from "../ui/states.tsx";

/** A track: how often and how long it was played, its skip rate, first and last listen, listens over time. */
export function TrackPage({ route }: PageProps) {
  const state = useItemStats<TrackStats>("tracks", route);
  return (
    <section>
      <Async state={state}>
        {(s) => (
          <>
            <ItemHeader image={s.track.image_url} title={s.track.name}>
              <p>
                {s.track.artists.map((a, i) => (
                  <span key={`${a.id ?? a.name}-${i}`}>
                    {i > 0 ? ", " : ""}
                    {a.id ? <Link href={hrefOf("artists", a.id)}>{a.name}</Link> : a.name}
                  </span>
                ))}
                {s.track.album ? <span class="muted"> · {s.track.album.name}</span> : null}
                {s.track.duration_ms > 0 ? (
                  <span class="muted"> · {formatClock(s.track.duration_ms)}</span>
                ) : null}
              </p>
            </ItemHeader>
            <div class="grid">
              <Panel title="In numbers" wide>
                <ItemTotals s={s} />
              </Panel>
              <ListensOverTime s={s} name={s.track.name} />
            </div>
          </>
        )}
      </Async>
    </section>
  );
}
