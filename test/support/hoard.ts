import type { Play } from "#shared/domain/entities.ts";
import { bucketsOf } from "#shared/stats/aggregates.ts";
import type { RangeSpec } from "#shared/stats/plan.ts";
import { createStatsReader } from "#shared/stats/reader.ts";
import type { Store } from "#shared/store/port.ts";

/** Every stored play, newest first. */
export async function allPlays(store: Store): Promise<Play[]> {
  const out: Play[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listPlays({ limit: 200, ...(cursor ? { cursor } : {}) });
    out.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return out;
}

/**
 * Everything the statistics are made of, as sorted JSON lines: the counts, every aggregate item
 * of every bucket a play touches, and each track's counters. Two hoards with equal lines answer
 * every statistic alike.
 */
export async function counters(store: Store): Promise<string[]> {
  const buckets = new Set((await allPlays(store)).flatMap((p) => bucketsOf(p.listened_at)));
  const out = [JSON.stringify(await store.getCounts())];
  for (const b of buckets) for (const a of await store.queryAggregates(b)) out.push(JSON.stringify(a));
  for (const t of (await store.listTracksByCount(1000)).items) {
    const { track_id, listen_count, skip_count, listened_ms_total, first_listened, last_listened } = t;
    out.push(
      JSON.stringify({
        track_id,
        listen_count,
        skip_count,
        listened_ms_total,
        first_listened,
        last_listened,
      }),
    );
  }
  return out.sort();
}

const ALL: RangeSpec = { tz: "UTC", range: "all" };

/** What a hoard's statistics say over all time, and the counters and plays behind them. */
export async function statistics(store: Store, nowMs: number) {
  const reader = createStatsReader(store);
  return {
    counters: await counters(store),
    plays: (await allPlays(store)).map((p) => `${p.listened_at}#${p.track_id}#${p.counted}`).sort(),
    tracks: (await reader.top("tracks", ALL, "plays", 100, nowMs)).items,
    artists: (await reader.top("artists", ALL, "plays", 100, nowMs)).items,
    albums: (await reader.top("albums", ALL, "time", 100, nowMs)).items,
    genres: (await reader.topGenres(ALL, "plays", 100, nowMs)).items,
    summary: await reader.summary(ALL, nowMs),
  };
}
export type Statistics = Awaited<ReturnType<typeof statistics>>;
