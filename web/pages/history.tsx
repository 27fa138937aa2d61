import type { PageProps } from "../router.tsx";

export function HistoryPage(_props: PageProps) {
  return (
    <section>
      <h1>History</h1>
    </section>
  );
}
