import { notFound } from "#shared/http/errors.ts";
import { httpHandler, json } from "#shared/http/middleware.ts";
import { historyRoutes } from "#shared/http/routes/history.ts";

export const handler = httpHandler(historyRoutes.deletePlay, async ({ path: { id }, deps }) => {
  const play = await deps.store.deletePlay(id.listened_at, id.track_id);
  if (!play) throw notFound(`no play ${id.listened_at}#${id.track_id} (never stored, or deleted already)`);
  return json({ deleted: true, play });
});
