import { conflict } from "#shared/http/errors.ts";
import { httpHandler, json } from "#shared/http/middleware.ts";
import { lyricsRoutes } from "#shared/http/routes/lyrics.ts";
import { startAnalysis } from "#shared/lyrics/analysis.ts";

export const handler = httpHandler(lyricsRoutes.analysisRun, async ({ deps }) => {
  if (!(await startAnalysis(deps)))
    throw conflict("an analysis run is in progress; its result will show in /admin/system-stats");
  return json(
    {
      started: true,
      message: "analysis started in the background; its progress shows in /admin/system-stats",
    },
    202,
  );
});
