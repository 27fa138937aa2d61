import { conflict, unprocessable } from "#shared/http/errors.ts";
import { httpHandler, json } from "#shared/http/middleware.ts";
import { historyRoutes } from "#shared/http/routes/history.ts";
import { ImportBusyError, importContent } from "#shared/import/importer.ts";
import { ImportFileError } from "#shared/import/parse.ts";
import { ConcurrentBatchError } from "#shared/store/import-batch.ts";

/**
 * POST /import: one file in the body, as it came from Spotify (or from our export). Sizes:
 * Lambda takes at most 6 MB of request (API Gateway would take 10 MB); Spotify's Extended files
 * run to ~12 MB, so bigger files go through `npm run import` (which has no limit) or are split.
 * Time: API Gateway gives up after 30 s, so the import stops taking new chunks after
 * BUDGET_MS and answers `status: "partial"`; sending the same body again resumes from the
 * checkpoint (the content hash names it).
 */
const BUDGET_MS = 15_000;
/** Small chunks: the budget is checked between chunks, so a chunk bounds the overrun. */
const CHUNK = 250;

export const handler = httpHandler(historyRoutes.importPlays, async ({ query, deps, event }) => {
  const started = performance.now();
  const body = event.body ?? "";
  const content = event.isBase64Encoded ? Buffer.from(body, "base64") : body;
  const file = query.file ?? "body";
  try {
    return json(
      await importContent(deps.store, file, content, {
        deadline: started + BUDGET_MS,
        chunkSize: CHUNK,
        nowMs: deps.clock().getTime(),
      }),
    );
  } catch (err) {
    // The same file being imported by another run right now: that run (or sending it again
    // later, which replays its chunk in flight) finishes what this one may have started.
    if (err instanceof ImportBusyError || err instanceof ConcurrentBatchError) throw conflict(err.message);
    if (!(err instanceof ImportFileError)) throw err;
    throw unprocessable(
      err.message,
      err.problems.map((p) => ({
        field: `body${p.entry === null ? "" : `[${p.entry}]`}${p.field ? `.${p.field}` : ""}`,
        message: p.message,
      })),
    );
  }
});
