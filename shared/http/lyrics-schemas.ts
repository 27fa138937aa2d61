import * as z from "zod";

/** Payloads of the lyrics, mood-analysis and Genius routes (shared/lyrics/service.ts). */

export const trackIdPathSchema = z.object({
  track_id: z.string({ error: "is required" }).min(1).max(512, "is too long").describe("A stored track's id"),
});

const geniusId = (what: string) =>
  z.coerce
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .positive("must be positive")
    .max(Number.MAX_SAFE_INTEGER)
    .describe(`Genius ${what} id`);

export const geniusSongPathSchema = z.object({ song_id: geniusId("song") });
export const geniusArtistPathSchema = z.object({ id: geniusId("artist") });

export const geniusSearchQuerySchema = z.object({
  q: z
    .string({ error: "is required" })
    .trim()
    .min(1, "is required")
    .max(200, "is too long (200 characters at most)"),
});

export const geniusSongsQuerySchema = z.object({
  page: z.coerce.number({ error: "must be a number" }).int().min(1).max(1000).default(1).describe("1-based"),
  per_page: z.coerce.number({ error: "must be a number" }).int().min(1).max(50).default(20),
});

export const analyzeLyricsBodySchema = z.object({
  text: z
    .string({ error: "is required" })
    .trim()
    .min(1, "is required")
    .max(20_000, "is too long (20,000 characters at most)")
    .describe("Lyrics or any text; repeated lines are dropped and it is cut to the model's 512 tokens"),
});

const scoresSchema = z
  .array(z.object({ label: z.string(), score: z.number() }))
  .describe("Every label of the model, best first");

const lyricsFields = {
  status: z.enum(["found", "instrumental"]),
  plain: z.string().nullable(),
  synced: z.string().nullable().describe("LRC lines ([mm:ss.xx] text) when LRCLIB has them"),
  lrclib_id: z.number().nullable(),
  matched_by: z.enum(["get", "search"]).nullable().describe("get: exact signature; search: the fallback"),
  fetched_at: z.string(),
};

export const trackLyricsResponseSchema = z
  .object({
    track_id: z.string(),
    name: z.string(),
    artists: z.array(z.string()),
    source: z.literal("lrclib"),
    ...lyricsFields,
    emotions: z
      .object({
        source: z.enum(["lyrics", "title"]).describe("title: no lyrics were found, the title was analysed"),
        model: z.string().nullable(),
        analyzed_at: z.string(),
        scores: scoresSchema,
      })
      .nullable()
      .describe("From the background analysis; null until it ran (or instrumental)"),
  })
  .meta({ id: "TrackLyrics" });

export const analyzeLyricsResponseSchema = z
  .object({
    model: z.string(),
    truncated: z.boolean().describe("The text was cut to fit the model"),
    emotions: scoresSchema,
  })
  .meta({ id: "LyricsEmotions" });

const geniusArtistSchema = z
  .object({ id: z.number(), name: z.string(), image_url: z.string().nullable(), url: z.string().nullable() })
  .meta({ id: "GeniusArtist" });
const geniusSongSchema = z
  .object({
    id: z.number(),
    title: z.string(),
    full_title: z.string().nullable(),
    url: z.string().nullable().describe("The song's page on Genius"),
    image_url: z.string().nullable(),
    release_date: z.string().nullable(),
    album: z.string().nullable(),
    artist: geniusArtistSchema,
  })
  .meta({ id: "GeniusSong" });

export const geniusArtistsResponseSchema = z.object({ artists: z.array(geniusArtistSchema) });
export const geniusArtistSongsResponseSchema = z.object({
  artist: geniusArtistSchema,
  page: z.number().int(),
  next_page: z.number().int().nullable(),
  songs: z.array(geniusSongSchema),
});
export const geniusLyricsResponseSchema = z
  .object({
    song: geniusSongSchema,
    lyrics: z.object(lyricsFields).nullable().describe("null when LRCLIB has none"),
    lyrics_retry_after: z.string().nullable().describe("When LRCLIB is asked again after a miss"),
    emotions: z
      .object({ model: z.string(), source: z.enum(["lyrics", "title"]), scores: scoresSchema })
      .nullable(),
    emotions_note: z.string().nullable(),
  })
  .meta({ id: "GeniusLyrics" });

export const analysisRunResponseSchema = z.object({
  started: z.literal(true),
  message: z.string(),
});
