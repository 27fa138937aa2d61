import { cacheKeys } from "../cache/keys.ts";
import type { Cache } from "../cache/port.ts";
import { JOB_BACKFILL } from "../capture/backfill.ts";
import { leaseHeld } from "../capture/loop.ts";
import { JOB_METADATA_SYNC } from "../capture/metadata-sync.ts";
import type { Config } from "../config.ts";
import { summarizeAll } from "../listeners/summary.ts";
import { JOB_ANALYSIS } from "../lyrics/analysis.ts";
import type { LyricsStore } from "../lyrics/store.ts";
import type { Household } from "../store/household.ts";
import type { Store } from "../store/port.ts";
import { JOB_REBUILD } from "./rebuild.ts";

/** The job runs /admin/system-stats reports (their history is kept with a TTL). */
export const REPORTED_JOBS = [JOB_BACKFILL, JOB_METADATA_SYNC, JOB_REBUILD, JOB_ANALYSIS] as const;

/**
 * What an operator wants to see at a glance, without scanning anything: the counts the writes
 * maintain, DynamoDB's own table figures, the cache, the playback loop's lease and status, and
 * the latest job runs. An unreadable cache degrades to nulls rather than failing the page.
 */
export async function systemStats(deps: {
  store: Store;
  lyrics: LyricsStore;
  cache: Cache;
  config: Config;
  clock: () => Date;
  listener: string;
  household: Household;
}) {
  const { store, cache } = deps;
  const fromCache = <T>(key: string) => cache.get<T>(key).catch(() => null);
  // Read beside the rest: every listener's summary (the same as /admin/listeners).
  const listeners = summarizeAll(deps);
  // Awaited below; should the reads below fail first, its own failure must not go unhandled.
  listeners.catch(() => undefined);
  const [counts, analyzed, table, keys, lease, status, quotaUntil, link, ...runs] = await Promise.all([
    store.getCounts(),
    // Counts kept as vectors are stored; only before the first analysis run is the index counted.
    deps.lyrics
      .analysisCounts()
      .then(async (kept) => ({ kept, total: kept?.total ?? (await deps.lyrics.countEmotions()) })),
    store.describeTable().catch(() => null),
    cache.size().catch(() => null),
    fromCache<string>(cacheKeys.lease(deps.listener)),
    fromCache<unknown>(cacheKeys.status(deps.listener)),
    fromCache<number>(cacheKeys.quotaUntil(deps.listener)),
    store.getSpotifyLink(),
    ...REPORTED_JOBS.map((job) => store.listJobRuns(job, 5)),
  ]);
  const now = deps.clock().getTime();
  const quota =
    typeof quotaUntil === "number" && quotaUntil > now
      ? new Date(quotaUntil).toISOString()
      : link?.quota_until && Date.parse(link.quota_until) > now
        ? link.quota_until
        : null;
  return {
    counts,
    table: {
      name: deps.config.TABLE_NAME,
      size_bytes: table?.size_bytes ?? null,
      item_count: table?.item_count ?? null,
    },
    cache: { kind: cache.kind, keys },
    // Progress of the lyrics and mood analysis; each run's counts are under jobs.analysis.
    analysis: {
      analyzed_tracks: analyzed.total,
      by_source: analyzed.kept && {
        lyrics: analyzed.kept.lyrics,
        title: analyzed.kept.title,
        instrumental: analyzed.kept.instrumental,
      },
      tracks: counts.tracks,
      model: deps.config.HF_MODEL,
      emotions_configured: Boolean(deps.config.HF_TOKEN),
    },
    loop: {
      alive: leaseHeld(lease),
      lease_holder: typeof lease === "string" ? lease : null,
      quota_until: quota,
      status: status ?? null,
    },
    jobs: Object.fromEntries(
      REPORTED_JOBS.map((job, i) => [job, { last: runs[i]?.[0] ?? null, recent: runs[i] ?? [] }]),
    ),
    listeners: await listeners,
  };
}
