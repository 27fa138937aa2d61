import * as z from "zod";
import { MAX_SCANNED } from "../history/plays.ts";
import {
  playsQuerySchema,
  statsRangeShape,
  topAlbumsResponseSchema,
  topArtistsResponseSchema,
  topGenresResponseSchema,
  topTracksResponseSchema,
} from "./schemas.ts";

/**
 * Payloads of the history filters and the recap statistics (track and artist pages, year in
 * review) the dashboard reads.
 */

/** A Spotify id, a local file's URI or a `name:` id: any non-empty string a key can hold. */
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

// ------------------------------------------------------------------ track and artist pages

export const artistIdPathSchema = z.object({
  artist_id: idSchema("An artist's id (Spotify's, or the `name:…` id of an imported artist)"),
});

export const itemStatsQuerySchema = z.object({
  tz: statsRangeShape("all").tz,
  bucket: z
    .enum(["week", "month"], { error: "must be week or month" })
    .default("month")
    .describe("The series' buckets: ISO weeks (from Monday) or calendar months, in tz. Default month."),
});

const seriesSchema = z
  .array(
    z.object({
      bucket: z.string().describe("Local date the bucket starts on (a Monday, or the 1st of a month)."),
      plays: z.number().int().describe("Counted plays (skips excluded)."),
      listened_ms: z.number().int().describe("Time listened in counted plays."),
    }),
  )
  .describe("Every bucket from the first listen's to the last listen's, zeros included.");

const itemTotalsShape = {
  tz: z.string(),
  bucket: z.enum(["week", "month"]),
  plays: z.number().int().describe("Counted plays, all time."),
  skips: z.number().int().describe("Listens too short to count, all time."),
  skip_rate: z.number().describe("skips / (plays + skips)."),
  listened_ms: z.number().int().describe("Time listened in counted plays."),
  first_listened_at: z.string().describe("The first listen (skips included), UTC."),
  last_listened_at: z.string().describe("The latest listen (skips included), UTC."),
  series: seriesSchema,
};

export const trackStatsResponseSchema = z
  .object({
    track: z.object({
      track_id: z.string(),
      kind: z.enum(["track", "episode", "local"]),
      name: z.string(),
      artists: z.array(z.object({ id: z.string().nullable(), name: z.string() })),
      album: z
        .object({ id: z.string().nullable(), name: z.string(), image_url: z.string().nullable() })
        .nullable(),
      image_url: z.string().nullable().describe("The album art."),
      duration_ms: z.number().int(),
    }),
    ...itemTotalsShape,
  })
  .meta({ id: "TrackStats" });

export const artistStatsResponseSchema = z
  .object({
    artist: z.object({
      artist_id: z.string(),
      name: z.string().nullable(),
      image_url: z.string().nullable(),
      genres: z.array(z.string()).nullable().describe("null until the metadata sync has seen the artist."),
    }),
    ...itemTotalsShape,
    top_tracks: z
      .array(
        z.object({
          track_id: z.string(),
          name: z.string(),
          image_url: z.string().nullable(),
          plays: z.number().int(),
          listened_ms: z.number().int(),
        }),
      )
      .describe("The artist's 10 most played tracks, all time."),
  })
  .meta({ id: "ArtistStats" });

// ------------------------------------------------------------------ year in review

export const yearQuerySchema = z.object({
  year: z.coerce
    .number({ error: "must be a year, e.g. 2025" })
    .int("must be a year, e.g. 2025")
    .min(2008, "must be 2008 (Spotify's launch) or later")
    .max(9998)
    .optional()
    .describe("A calendar year in tz. Default: the current year, so far."),
  tz: statsRangeShape("all").tz,
});

const monthSchema = z.object({
  month: z.string().describe("YYYY-MM, in tz."),
  plays: z.number().int().describe("Counted plays."),
  listened_ms: z.number().int(),
  minutes: z.number().int().describe("listened_ms in whole minutes (rounded)."),
});

const trackRefSchema = z.object({
  track_id: z.string(),
  name: z.string().nullable(),
  artists: z.array(z.string()),
  image_url: z.string().nullable(),
});

export const yearResponseSchema = z
  .object({
    year: z.number().int(),
    so_far: z.boolean().describe("The year is not over: everything counts up to now."),
    range: topTracksResponseSchema.shape.range.describe(
      "The instants counted: the year's first local midnight to the next year's (or now).",
    ),
    plays: z.number().int().describe("Counted plays."),
    skips: z.number().int().describe("Listens too short to count."),
    listened_ms: z.number().int().describe("Time listened in counted plays."),
    minutes: z.number().int().describe("listened_ms in whole minutes (rounded)."),
    distinct_tracks: z.number().int(),
    distinct_artists: z.number().int(),
    top: z
      .object({
        tracks: topTracksResponseSchema.shape.items,
        artists: topArtistsResponseSchema.shape.items,
        albums: topAlbumsResponseSchema.shape.items,
        genres: topGenresResponseSchema.shape.items,
      })
      .describe("The year's five most played of each, as GET /stats/top-* ranks them (by plays)."),
    months: z
      .array(monthSchema)
      .describe("January to December, zeros included (later months of a year so far: 0)."),
    top_month: monthSchema.nullable().describe("The month with most plays (ties: more time, then earlier)."),
    longest_streak: z
      .object({ days: z.number().int(), from: z.string(), to: z.string() })
      .nullable()
      .describe(
        "Longest run of consecutive local days with a counted play inside the year (the earliest if tied).",
      ),
    most_repeated_day: z
      .object({
        date: z.string().describe("The local date."),
        track: trackRefSchema,
        plays: z.number().int().describe("Counted plays of that track that day."),
      })
      .nullable()
      .describe(
        "The local day on which one track was played the most times (ties: the earlier day, then the smaller track id).",
      ),
    new_artists: z
      .object({
        count: z.number().int().describe("Artists whose first counted play ever falls in the year."),
        items: z
          .array(
            z.object({
              artist: z.object({
                artist_id: z.string(),
                name: z.string().nullable(),
                image_url: z.string().nullable(),
                genres: z.array(z.string()).nullable(),
              }),
              first_listened_at: z.string().nullable().describe("Their first counted play (UTC)."),
              plays: z.number().int().describe("Counted plays in the year."),
              listened_ms: z.number().int(),
            }),
          )
          .describe("The ten most played of them in the year."),
      })
      .describe("Discoveries: artists heard (counted) for the first time this year."),
  })
  .meta({ id: "YearInReview" });
