import { cacheKeys } from "../cache/keys.ts";
import { leaseHeld } from "../capture/loop.ts";
import type { LoopStatus } from "../capture/runner.ts";
import type { Deps } from "../deps.ts";
import type { Listener } from "../domain/listener.ts";
import { cell } from "../export/plays.ts";

/**
 * A listener with what the owner's admin pages show of them: link, counts, loop. Only items
 * the writes keep anyway, no scan: the link item (with the loop's lease note and Spotify's
 * back-off), the counts, the newest play (one Query of one item) and two cache keys.
 */
export async function summarize(deps: Pick<Deps, "household" | "cache" | "clock">, listener: Listener) {
  const store = deps.household.storeOf(listener.listener_id);
  const fromCache = <T>(key: string) => deps.cache.get<T>(key).catch(() => null);
  const [link, counts, newest, lease, status] = await Promise.all([
    store.getSpotifyLink(),
    store.getCounts(),
    store.newestPlay(),
    fromCache<string>(cacheKeys.lease(listener.listener_id)),
    fromCache<LoopStatus>(cacheKeys.status(listener.listener_id)),
  ]);
  const now = deps.clock().getTime();
  const future = (at: string | null | undefined) => (at && Date.parse(at) > now ? at : null);
  return {
    ...listener,
    linked: link !== null,
    needs_reauth: link?.needs_reauth ?? false,
    quota_until: future(link?.quota_until),
    plays: counts.plays,
    counted_plays: counts.counted_plays,
    last_listened_at: newest?.listened_at ?? null,
    last_poll_at: status?.last_successful_poll_at ?? null,
    loop_alive: leaseHeld(lease),
    loop_until: future(link?.loop_until),
  };
}
export type ListenerSummary = Awaited<ReturnType<typeof summarize>>;

/** Every listener of the household, summarized (a handful: one Query, then a few reads each). */
export async function summarizeAll(deps: Pick<Deps, "household" | "cache" | "clock">) {
  const listeners = await deps.household.listListeners();
  return Promise.all(listeners.map((l) => summarize(deps, l)));
}

const CSV_COLUMNS = [
  "handle",
  "role",
  "display_name",
  "spotify_id",
  "created_at",
  "last_seen_at",
  "public",
  "linked",
  "needs_reauth",
  "plays",
  "counted_plays",
  "last_listened_at",
  "last_poll_at",
  "loop_alive",
  "loop_until",
] as const satisfies readonly (keyof ListenerSummary)[];

/** The listeners as CSV, cells written as the plays export writes them (formula-safe). */
export function listenersCsv(items: readonly ListenerSummary[]): string {
  const rows = items.map((l) => CSV_COLUMNS.map((c) => cell(l[c])).join(","));
  return `${[CSV_COLUMNS.join(","), ...rows].join("\r\n")}\r\n`;
}
