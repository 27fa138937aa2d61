import { type JobOutcome, type JobTrigger, runJob } from "../capture/backfill.ts";
import type { Deps } from "../deps.ts";
import {
  listId,
  type TopEntry,
  type TopKind,
  type TopRange,
  type TopSnapshot,
  topHistoryOf,
} from "../store/top-history.ts";
import { createSpotifyClient } from "./client.ts";
import type { SpotifyApi, TopItems } from "./types.ts";

/**
 * The history of Spotify's own top lists (Personalify's /history). Spotify recomputes them
 * about once a day and keeps no past, so the hourly job stores each (type, window) list once
 * per UTC day; GET /history lists those snapshots newest first with what moved against the one
 * before: new entries, dropped ones, rank changes.
 */

export const JOB_TOP_HISTORY = "top-history";
/** Spotify's maximum per request: the whole list it is willing to rank. */
export const TOP_HISTORY_SIZE = 50;

const TYPES: readonly TopKind[] = ["tracks", "artists"];
const RANGES: readonly TopRange[] = ["short_term", "medium_term", "long_term"];
export const TOP_LISTS = TYPES.flatMap((type) => RANGES.map((range) => ({ type, range })));

export const utcDay = (at: Date) => at.toISOString().slice(0, 10);

function entriesOf(top: TopItems): TopEntry[] {
  if (top.type === "artists") {
    return top.items.map((a) => ({
      id: a.artist_id,
      name: a.name,
      detail: a.genres,
      image_url: a.image_url,
    }));
  }
  return top.items.map((t) => ({
    id: t.track_id,
    name: t.name,
    detail: t.artists.map((a) => a.name),
    image_url: t.album?.image_url ?? null,
  }));
}

export interface TopHistoryResult {
  day: string;
  /** Lists stored by this run. */
  stored: number;
  /** Lists that already had today's snapshot (Spotify was not asked for them). */
  kept: number;
}

/**
 * Today's snapshot of every list that has none yet. Idempotent within a day: a second run asks
 * Spotify nothing; a run stopped by a 429 leaves the rest to the next hour.
 */
export async function syncTopHistory(
  deps: Pick<Deps, "store" | "clock">,
  spotify: SpotifyApi,
): Promise<TopHistoryResult> {
  const history = topHistoryOf(deps.store);
  const day = utcDay(deps.clock());
  const have = await history.topSnapshotDays(day, TOP_LISTS);
  let stored = 0;
  for (const { type, range } of TOP_LISTS) {
    if (have.has(listId(type, range))) continue;
    const top = await spotify.topItems(type, range, TOP_HISTORY_SIZE);
    const put = await history.putTopSnapshot({
      type,
      range,
      day,
      fetched_at: deps.clock().toISOString(),
      total: top.total,
      items: entriesOf(top),
    });
    if (put === "stored") stored++;
  }
  return { day, stored, kept: have.size };
}

/** The hourly job's step, recorded as a job run (a Spotify fault is the run's, never thrown). */
export function runTopHistoryJob(
  deps: Deps,
  trigger: JobTrigger,
  spotify: SpotifyApi = createSpotifyClient(deps),
): Promise<JobOutcome<TopHistoryResult>> {
  return runJob(deps, JOB_TOP_HISTORY, trigger, () => syncTopHistory(deps, spotify));
}

// ------------------------------------------------------------------------------ moves

export type Move = "new" | "up" | "down" | "same";

export interface RankedEntry extends TopEntry {
  rank: number;
  /** Its rank in the previous snapshot; null when it was not in it (or there is none). */
  previous_rank: number | null;
  /** null: no earlier snapshot to compare with. */
  move: Move | null;
  /** Places gained (up) or lost (down); 0 otherwise. */
  by: number;
}

export interface HistoryEntry {
  day: string;
  fetched_at: string;
  total: number;
  /** The snapshot compared with; null for the first one ever stored. */
  previous_day: string | null;
  items: RankedEntry[];
  /** In the previous snapshot, not in this one: best previous rank first. */
  dropped: (TopEntry & { previous_rank: number })[];
  moves: { new: number; dropped: number; up: number; down: number; same: number } | null;
}

/** What moved from `previous` to `current`: pure (the route's and the test's one definition). */
export function movesOf(current: TopSnapshot, previous: TopSnapshot | null): HistoryEntry {
  const before = new Map(previous?.items.map((e, i) => [e.id, i + 1]));
  const now = new Set(current.items.map((e) => e.id));
  const items = current.items.map((e, i): RankedEntry => {
    const rank = i + 1;
    const was = before.get(e.id) ?? null;
    if (!previous) return { ...e, rank, previous_rank: null, move: null, by: 0 };
    if (was === null) return { ...e, rank, previous_rank: null, move: "new", by: 0 };
    const move: Move = was > rank ? "up" : was < rank ? "down" : "same";
    return { ...e, rank, previous_rank: was, move, by: Math.abs(was - rank) };
  });
  const dropped = (previous?.items ?? [])
    .map((e, i) => ({ ...e, previous_rank: i + 1 }))
    .filter((e) => !now.has(e.id));
  const count = (m: Move) => items.filter((e) => e.move === m).length;
  return {
    day: current.day,
    fetched_at: current.fetched_at,
    total: current.total,
    previous_day: previous?.day ?? null,
    items,
    dropped,
    moves: previous
      ? {
          new: count("new"),
          dropped: dropped.length,
          up: count("up"),
          down: count("down"),
          same: count("same"),
        }
      : null,
  };
}

const dayBefore = (day: string) =>
  new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);

/** GET /history: the snapshots in the window, newest first, each against the one before it. */
export async function loadTopHistory(
  deps: Pick<Deps, "store">,
  q: { type: TopKind; range: TopRange; from?: string | undefined; to?: string | undefined; limit: number },
) {
  const history = topHistoryOf(deps.store);
  // One more than asked: the oldest listed is compared with the snapshot before it.
  const found = await history.listTopSnapshots(q.type, q.range, {
    from: q.from,
    to: q.to,
    limit: q.limit + 1,
  });
  const listed = found.slice(0, q.limit);
  const oldest = listed.at(-1);
  let before: TopSnapshot | null = found[q.limit] ?? null;
  if (!before && oldest && q.from !== undefined) {
    // The window starts at `from`; the comparison may reach before it.
    [before = null] = await history.listTopSnapshots(q.type, q.range, {
      to: dayBefore(oldest.day),
      limit: 1,
    });
  }
  return {
    type: q.type,
    range: q.range,
    snapshots: listed.map((s, i) => movesOf(s, listed[i + 1] ?? before)),
  };
}
