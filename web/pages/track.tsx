import type { PageProps } from "../router.tsx";

/** A track: listens over time, first and last listened, skip rate (a stub of the skeleton). */
export function TrackPage({ route }: PageProps) {
  return (
    <section>
      <h1>Track</h1>
      <p class="muted">Details of track {route.param} are coming soon.</p>
    </section>
  );
}
