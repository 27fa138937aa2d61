import type { PageProps } from "../router.tsx";

/** Year in review: minutes, plays, top 5s, the busiest month, streaks, new artists (a stub of the dashboard skeleton; its page is built on web/ui/ pieces). */
export function YearPage(_props: PageProps) {
  return (
    <section>
      <h1>Year in review</h1>
      <p class="muted">This page is coming soon.</p>
    </section>
  );
}
