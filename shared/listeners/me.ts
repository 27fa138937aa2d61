import type { Deps } from "../deps.ts";
import { NotFoundError } from "../errors.ts";

/** The listener `deps` acts for, with their link state (GET/PATCH /me). */
export async function meOf(deps: Pick<Deps, "household" | "store" | "listener">) {
  const [listener, link] = await Promise.all([
    deps.household.getListener(deps.listener),
    deps.store.getSpotifyLink(),
  ]);
  if (!listener) throw new NotFoundError("this listener no longer exists");
  return {
    ...listener,
    year_card: listener.year_card ?? false,
    linked: link !== null,
    needs_reauth: link?.needs_reauth ?? false,
  };
}
