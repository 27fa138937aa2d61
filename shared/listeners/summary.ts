import { cacheKeys } from "../cache/keys.ts";
import { QUOTA_LEASE } from "../capture/loop.ts";
import type { LoopStatus } from "../capture/runner.ts";
import type { Deps } from "../deps.ts";
import type { Listener } from "../domain/listener.ts";
import { cell } from "../export/plays.ts";

/** A listener with what the owner's admin pages show of them: link, counts, loop. */
export async function summarize(deps: Pick<Deps, "household" | "cache" | "clock">, listener: Listener) {
  const store = deps.household.storeOf(listener.listener_id);
  const fromCache = <T>(key: string) => deps.cache.get<T>(key).catch(() => null);
  const [link, counts, lease, status] = await Promise.all([
    store.getSpotifyLink(),
    store.getCounts(),
    fromCache<string>(cacheKeys.lease(listener.listener_id)),
    fromCache<LoopStatus>(cacheKeys.status(listener.listener_id)),
  ]);
  const now = deps.clock().getTime();
  return {
    ...listener,
    linked: link !== null,
    needs_reauth: link?.needs_reauth ?? false,
    quota_until: link?.quota_until && Date.parse(link.quota_until) > now ? link.quota_until : null,
    plays: counts.plays,
    counted_plays: counts.counted_plays,
    last_poll_at: status?.last_successful_poll_at ?? null,
    loop_alive: typeof lease === "string" && lease !== QUOTA_LEASE,
  };
}
export type ListenerSummary = Awaited<ReturnType<typeof summarize>>;

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
  "last_poll_at",
  "loop_alive",
] as const satisfies readonly (keyof ListenerSummary)[];

/** The listeners as CSV, cells written as the plays export writes them (formula-safe). */
export function listenersCsv(items: readonly ListenerSummary[]): string {
  const rows = items.map((l) => CSV_COLUMNS.map((c) => cell(l[c])).join(","));
  return `${[CSV_COLUMNS.join(","), ...rows].join("\r\n")}\r\n`;
}
