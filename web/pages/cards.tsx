import type { PageProps } from "../router.tsx";

/** The README card builder: type, theme, width, range, live preview, the line to paste (a stub of the dashboard skeleton; its page is built on web/ui/ pieces). */
export function CardsPage(_props: PageProps) {
  return (
    <section>
      <h1>Cards</h1>
      <p class="muted">This page is coming soon.</p>
    </section>
  );
}
