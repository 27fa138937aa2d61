import type { Play } from "#shared/domain/entities.ts";
import { bucketsOf } from "#shared/stats/aggregates.ts";
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
