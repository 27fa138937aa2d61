import * as z from "zod";
import { spotifyTopQuerySchema } from "./schemas.ts";

/** GET /history: the daily snapshots of Spotify's top lists (shared/spotify/top-history.ts). */

const daySchema = z.iso.date({ error: "must be a UTC date, YYYY-MM-DD" });

export const historyQuerySchema = z
  .object({
    range: spotifyTopQuerySchema.shape.time_range,
    type: spotifyTopQuerySchema.shape.type.default("tracks"),
    from: daySchema.optional().describe("First day listed (UTC, included)."),
    to: daySchema.optional().describe("Last day listed (UTC, included)."),
    limit: z.coerce
      .number({ error: "must be a whole number" })
      .int("must be a whole number")
      .min(1)
      .max(100)
      .default(7)
      .describe("Snapshots listed, newest first (page back with to = the day before the oldest)."),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, { message: "must not be before from", path: ["to"] });

const entry = {
  id: z.string().describe("Spotify's track or artist id"),
  name: z.string(),
  detail: z.array(z.string()).describe("Tracks: the artists' names; artists: their genres"),
  image_url: z.string().nullable(),
};

export const historyResponseSchema = z
  .object({
    type: z.enum(["artists", "tracks"]),
    range: z.enum(["short_term", "medium_term", "long_term"]),
    snapshots: z.array(
      z.object({
        day: z.string().describe("The UTC day Spotify's list was taken"),
        fetched_at: z.string(),
        total: z.number().int().describe("How many Spotify could list for the window"),
        previous_day: z
          .string()
          .nullable()
          .describe("The snapshot compared with (the one before); null for the first stored"),
        items: z.array(
          z.object({
            rank: z.number().int(),
            ...entry,
            previous_rank: z.number().int().nullable(),
            move: z
              .enum(["new", "up", "down", "same"])
              .nullable()
              .describe("Against previous_day; null when there is nothing to compare with"),
            by: z.number().int().describe("Places gained (up) or lost (down)"),
          }),
        ),
        dropped: z.array(z.object({ ...entry, previous_rank: z.number().int() })),
        moves: z
          .object({
            new: z.number().int(),
            dropped: z.number().int(),
            up: z.number().int(),
            down: z.number().int(),
            same: z.number().int(),
          })
          .nullable(),
      }),
    ),
  })
  .meta({ id: "TopHistory" });
