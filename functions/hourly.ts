import { runBackfillJob } from "#shared/capture/backfill.ts";
import { linkedListeners } from "#shared/capture/listeners.ts";
import { runMetadataSyncJob } from "#shared/capture/metadata-sync.ts";
import { type Deps, forListener, getDeps } from "#shared/deps.ts";
import { logger } from "#shared/logger.ts";
import { refreshMoodSums } from "#shared/lyrics/mood.ts";
import { runTopHistoryJob } from "#shared/spotify/top-history.ts";
import { packClosedMonths } from "#shared/stats/packs.ts";
import { createStatsReader } from "#shared/stats/reader.ts";

/** Artists and albums per hour: a few dozen requests, even one id at a time. */
const SYNC_LIMIT = 100;

/**
 * EventBridge, hourly: the recently-played backfill, then the metadata sync, the day's snapshot
 * of Spotify's top lists (shared/spotify/top-history.ts), then the month
 * packs of the statistics (shared/stats/packs.ts) and the named ranges' snapshots
 * (shared/stats/snapshot.ts: after the backfill and the sync, which may have invalidated them)
 * with the moods' sums kept on them (shared/lyrics/mood.ts). Each Spotify job run is
 * recorded as a job run. A Spotify fault never fails the invocation (EventBridge would only
 * retry into the same fault): a 429, a missing or revoked link stop here and wait for the
 * next hour. Any other error (storage) is thrown after both ran, so the failure shows in the
 * function's error metric and the asynchronous retry runs both again (both are idempotent).
 */
export const handler = async () => {
  const deps = await getDeps();
  // Every linked listener's hoard, one after the other (each its own Spotify token and quota);
  // the owner's month packs are kept even before the owner links.
  const listeners = new Set([deps.listener, ...(await linkedListeners(deps))]);
  const summaries: Record<string, Awaited<ReturnType<typeof hourlyFor>>> = {};
  let failure: unknown;
  for (const listener of listeners) {
    try {
      summaries[listener] = await hourlyFor(forListener(deps, listener));
    } catch (err) {
      failure ??= err;
    }
  }
  if (failure) throw failure;
  // A single-listener deployment keeps its old summary shape at the top.
  return { ...summaries[deps.listener], listeners: summaries };
};

async function hourlyFor(deps: Deps) {
  const backfill = await runBackfillJob(deps, "schedule");
  const stop = !backfill.ok && backfill.fault !== null && backfill.fault.type !== "unavailable";
  const sync = stop ? null : await runMetadataSyncJob(deps, "schedule", { limit: SYNC_LIMIT });
  // Spotify's top lists of the day, once a day (a no-op, asking nothing, the other 23 hours).
  const top = stop ? null : await runTopHistoryJob(deps, "schedule");
  // Needs no Spotify: closed months whose listens changed (backfill, imports) are packed again.
  const packs = await packClosedMonths(deps.store, deps.clock().getTime()).catch((err: unknown) => err);
  const snapshots = await createStatsReader(deps.store)
    .refreshSnapshots(deps.clock().getTime())
    .catch((err: unknown) => err);
  // The moods' sums are kept on the TRACK snapshots just refreshed (shared/lyrics/mood.ts).
  const moods =
    snapshots instanceof Error
      ? null
      : await refreshMoodSums(deps, deps.clock().getTime()).catch((err: unknown) => err);
  const summary = {
    backfill: backfill.ok ? backfill.result : { error: backfill.fault?.type ?? "error" },
    sync:
      sync === null
        ? "skipped"
        : sync.ok
          ? sync.result
          : { error: sync.fault?.type ?? "error", result: sync.result },
    top_history: top === null ? "skipped" : top.ok ? top.result : { error: top.fault?.type ?? "error" },
    packs: packs instanceof Error ? { error: packs.message } : packs,
    snapshots: snapshots instanceof Error ? { error: snapshots.message } : snapshots,
    moods: moods instanceof Error ? { error: moods.message } : (moods ?? "skipped"),
  };
  logger.info("hourly jobs", { listener: deps.listener, ...summary });
  const crashed = [backfill, sync, top].find(
    (o) => o !== null && !o.ok && o.fault === null && o.error !== null,
  );
  if (crashed && !crashed.ok) throw crashed.error;
  if (packs instanceof Error) throw packs;
  if (snapshots instanceof Error) throw snapshots;
  if (moods instanceof Error) throw moods;
  return summary;
}
