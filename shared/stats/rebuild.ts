import type { Track } from "../domain/entities.ts";
import type { Store, StoreCounts } from "../store/port.ts";
import { IMPORT_CURSOR_PREFIX } from "../store/table.ts";
import { type AlbumDetails, createAggregateFold } from "./aggregates.ts";
import { packClosedMonths } from "./packs.ts";

/**
 * Recomputes every aggregate item and the counts item from what the table holds: the tracks
 * (album names and art, which plays do not carry), then one parallel Scan that folds every
 * play through the same `playDeltas` the play transaction applies, counts the track, artist
 * and album items, and notes the aggregate items that exist. Then it writes the computed items
 * whole, deletes the ones no play accounts for, and packs every closed month again. Running it
 * twice changes nothing.
 *
 * Plays recorded while it runs may be missed by the items it writes: run it while the loop is
 * idle (or run it again). Memory holds the tracks and the aggregate items, not the plays.
 */

export interface RebuildResult {
  plays: number;
  counted_plays: number;
  aggregates_written: number;
  aggregates_deleted: number;
  tracks: number;
  artists: number;
  albums: number;
  /** Closed months whose DAY rows were packed again (shared/stats/packs.ts). */
  months_packed: number;
  took_ms: number;
}

async function loadAlbumDetails(store: Store): Promise<Map<string, AlbumDetails | null>> {
  const out = new Map<string, AlbumDetails | null>();
  let cursor: string | undefined;
  do {
    const page = await store.listTracksByCount(1000, cursor);
    for (const t of page.items as Track[]) {
      out.set(t.track_id, t.album ? { name: t.album.name, image_url: t.album.image_url } : null);
    }
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return out;
}

export async function rebuildAggregates(
  store: Store,
  opts: { segments?: number; now?: () => number } = {},
): Promise<RebuildResult> {
  const now = opts.now ?? Date.now;
  const started = now();
  const albums = await loadAlbumDetails(store);
  const fold = createAggregateFold();
  const existing = new Set<string>();
  const interrupted: string[] = [];
  const counts: StoreCounts = { plays: 0, counted_plays: 0, tracks: 0, artists: 0, albums: 0 };
  await store.scanForRebuild((item) => {
    switch (item.type) {
      case "play":
        counts.plays += 1;
        if (item.play.counted) counts.counted_plays += 1;
        fold.add(item.play, albums.get(item.play.track_id) ?? null);
        break;
      case "aggregate":
        existing.add(JSON.stringify([item.key.pk, item.key.sk]));
        break;
      case "track":
        counts.tracks += 1;
        break;
      case "artist":
        counts.artists += 1;
        break;
      case "album":
        counts.albums += 1;
        break;
      case "cursor":
        if (importInterrupted(item.name, item.value)) interrupted.push(item.name);
        break;
      default:
        break;
    }
  }, opts.segments);
  if (interrupted.length > 0) {
    // Its plays are written but not all its counters: a rebuild now would count the plays, and
    // the import's rerun would then add the missing parts a second time.
    throw new RebuildRefused(
      `an import was interrupted in the middle of a chunk (${interrupted.length} file${interrupted.length > 1 ? "s" : ""}); run the same import again to finish it, then rebuild`,
    );
  }
  const records = fold.items();
  for (const r of records) existing.delete(JSON.stringify([r.pk, r.sk]));
  const stale = [...existing].map((k) => {
    const [pk, sk] = JSON.parse(k) as [string, string];
    return { pk, sk };
  });
  await store.putAggregateRecords(records);
  await store.deleteAggregateRecords(stale);
  await store.putCounts(counts);
  // Repaired items may sit behind unchanged TOTALs: no statistics snapshot outlives a rebuild.
  await store.bumpStatsGeneration();
  // Repack every month: the rebuild may have repaired DAY rows behind an unchanged TOTAL.
  const packed = await packClosedMonths(store, now(), { force: true });
  return {
    plays: counts.plays,
    counted_plays: counts.counted_plays,
    aggregates_written: records.length,
    aggregates_deleted: stale.length,
    tracks: counts.tracks,
    artists: counts.artists,
    albums: counts.albums,
    months_packed: packed.packed,
    took_ms: Math.round(now() - started),
  };
}

export class RebuildRefused extends Error {
  override name = "RebuildRefused";
}

/** An import checkpoint naming a chunk in flight (shared/import/importer.ts). */
function importInterrupted(cursor: string, value: string): boolean {
  if (!cursor.startsWith(IMPORT_CURSOR_PREFIX)) return false;
  try {
    return (JSON.parse(value) as { pending?: unknown }).pending !== undefined;
  } catch {
    return false;
  }
}

export const JOB_REBUILD = "rebuild-aggregates";

/** The rebuild recorded as a job run (it shows in /admin/system-stats). */
export async function runRebuildJob(
  deps: { store: Store; clock: () => Date },
  trigger: "http" | "cli",
): Promise<RebuildResult> {
  const startedAt = deps.clock().toISOString();
  const result = await rebuildAggregates(deps.store);
  await deps.store.recordJobRun({
    job: JOB_REBUILD,
    started_at: startedAt,
    finished_at: deps.clock().toISOString(),
    ok: true,
    result: { trigger, ...result },
  });
  return result;
}
