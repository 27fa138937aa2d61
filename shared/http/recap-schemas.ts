import * as z from "zod";
import { MAX_SCANNED } from "../history/plays.ts";
import { playsQuerySchema } from "./schemas.ts";

/**
 * Payloads of the history filters and the recap statistics (track and artist pages, year in
 * review) the dashboard reads.
 */

const idSchema = (what: string) =>
  z.string({ error: "is required" }).min(1, "must not be empty").max(512, "is too long").describe(what);

/** GET /plays: the listing's bounds and paging, plus filters applied while paging. */
export const playsFilterQuerySchema = playsQuerySchema.safeExtend({
  limit: playsQuerySchema.shape.limit.describe(
    `Plays per page, 1–500. With filters a page reads at most ${MAX_SCANNED} stored plays: it may then ` +
      "hold fewer than `limit` (even none) while next_cursor is set; follow it until it is null.",
  ),
  track_id: idSchema("Only listens of this track.").optional(),
  artist_id: idSchema("Only listens crediting this artist (any of the track's artists).").optional(),
  counted: z
    .enum(["true", "false"], { error: "must be true or false" })
    .optional()
    .transform((v) => (v === undefined ? undefined : v === "true"))
    .describe("true: only listens that count as plays; false: only skips. Default: both."),
});
