import type { PageProps } from "../router.tsx";

/** System stats, jobs and loop health in words (the owner's) (a stub of the dashboard skeleton; its page is built on web/ui/ pieces). */
export function AdminPage(_props: PageProps) {
  return (
    <section>
      <h1>Admin</h1>
      <p class="muted">This page is coming soon.</p>
    </section>
  );
}
