import type { PageProps } from "../router.tsx";

export function OverviewPage(_props: PageProps) {
  return (
    <section>
      <h1>Overview</h1>
    </section>
  );
}
