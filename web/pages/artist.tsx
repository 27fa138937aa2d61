import { hrefOf, type PageProps } from "../router.tsx";
import type { ArtistStats } from "../types.ts";
import { ItemHeader, ItemTotals, ListensOverTime, useItemStats } from "../ui/item-stats.tsx";
import { Async, Panel } from "../ui/states.tsx";
import { TopList } from "../ui/top-list.tsx";

/** An artist: plays, skip rate, first and last listen, listens over time, their most played tracks. */
export function ArtistPage({ route }: PageProps) {
  const state = useItemStats<ArtistStats>("artists", route);
  return (
    <section>
      <Async state={state}>
        {(s) => {
          const name = s.artist.name ?? "Unknown artist";
          return (
            <>
              <ItemHeader image={s.artist.image_url} title={name}>
                <p class="muted">
                  {s.artist.genres?.length ? s.artist.genres.join(", ") : "No genres known yet"}
                </p>
              </ItemHeader>
              <div class="grid">
                <Panel title="In numbers" wide>
                  <ItemTotals s={s} />
                </Panel>
                <ListensOverTime s={s} name={name} />
                <Panel title="Most played tracks" wide>
                  <TopList
                    by="plays"
                    label={`Most played tracks of ${name}`}
                    rows={s.top_tracks.map((t) => ({
                      key: t.track_id,
                      name: t.name,
                      href: hrefOf("tracks", t.track_id),
                      image: t.image_url,
                      plays: t.plays,
                      listened_ms: t.listened_ms,
                    }))}
                  />
                </Panel>
              </div>
            </>
          );
        }}
      </Async>
    </section>
  );
}
