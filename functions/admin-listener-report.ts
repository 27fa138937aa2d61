import { notFound } from "#shared/http/errors.ts";
import { httpHandler, json } from "#shared/http/middleware.ts";
import { householdRoutes } from "#shared/http/routes/household.ts";
import { summarize } from "#shared/listeners/summary.ts";
import { createStatsReader } from "#shared/stats/reader.ts";

export const handler = httpHandler(householdRoutes.adminListenerReport, async ({ path, deps }) => {
  const listener = await deps.household.findByHandle(path.handle);
  if (!listener) throw notFound(`no listener has the handle ${JSON.stringify(path.handle)}`);
  const reader = createStatsReader(deps.household.storeOf(listener.listener_id));
  const now = deps.clock().getTime();
  const spec = { tz: "UTC", range: "all" } as const;
  const [summary, artists, tracks] = await Promise.all([
    summarize(deps, listener),
    reader.top("artists", spec, "plays", 10, now),
    reader.top("tracks", spec, "plays", 10, now),
  ]);
  return json({
    listener: summary,
    top_artists: artists.items.map((a) => ({ id: a.artist_id, name: a.name ?? null, plays: a.plays })),
    top_tracks: tracks.items.map((t) => ({ id: t.track_id, name: t.name ?? null, plays: t.plays })),
  });
});
