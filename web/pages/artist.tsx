import type { PageProps } from "../router.tsx";

/** An artist: listens over time, first and last listened, top tracks (a stub of the skeleton). */
export function ArtistPage({ route }: PageProps) {
  return (
    <section>
      <h1>Artist</h1>
      <p class="muted">Details of artist {route.param} are coming soon.</p>
    </section>
  );
}
