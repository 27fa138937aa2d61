import type { PageProps } from "../router.tsx";

/** Import a Spotify export with progress, and export links (a stub of the dashboard skeleton; its page is built on web/ui/ pieces). */
export function DataPage(_props: PageProps) {
  return (
    <section>
      <h1>Your data</h1>
      <p class="muted">This page is coming soon.</p>
    </section>
  );
}
