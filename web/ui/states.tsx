import type { ComponentChildren } from "preact";
import { errorText } from "../api.ts";

/** Loading, error and empty states every page shows the same way. */

export const Loading = ({ label = "Loading…" }: { label?: string }) => (
  <p class="muted" role="status" aria-live="polite">
    {label}
  </p>
);

/** An error in words (the API's own message), with a retry when one makes sense. */
export function ErrorBox({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <div class="error" role="alert">
      <p>{errorText(error)}</p>
      {retry ? (
        <button type="button" onClick={retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export const Empty = ({ children }: { children: ComponentChildren }) => <p class="muted empty">{children}</p>;

/** What a `useApi` state draws: loading, the error, or `children(data)`. */
export function Async<T>({
  state,
  children,
}: {
  state: { data: T | undefined; error: unknown; loading: boolean; reload: () => void };
  children: (data: T) => ComponentChildren;
}) {
  if (state.error !== undefined) return <ErrorBox error={state.error} retry={state.reload} />;
  if (state.data === undefined) return <Loading />;
  return <>{children(state.data)}</>;
}

/** A titled panel of a page. */
export function Panel({
  title,
  children,
  wide,
}: {
  title: string;
  children: ComponentChildren;
  wide?: boolean;
}) {
  const id = `panel-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  return (
    <section class={wide ? "panel wide" : "panel"} aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}
