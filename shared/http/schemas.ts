import * as z from "zod";
import { CARD_WIDTH, TOP_RANGES } from "../cards/model.ts";
import { THEME_NAMES } from "../cards/themes.ts";

/**
 * One zod schema per payload: the runtime validator, the TypeScript type (z.infer) and the
 * OpenAPI schema (z.toJSONSchema) all come from here.
 */

/** OAuth2 password form, as FastAPI's OAuth2PasswordRequestForm took it. */
export const tokenFormSchema = z
  .object({
    grant_type: z.literal("password").optional(),
    username: z.string({ error: "is required" }).min(1, "must not be empty"),
    password: z.string({ error: "is required" }).min(1, "must not be empty"),
    scope: z.string().optional(),
    client_id: z.string().optional(),
    client_secret: z.string().optional(),
  })
  .meta({ id: "TokenForm" });
export type TokenForm = z.infer<typeof tokenFormSchema>;

export const tokenResponseSchema = z
  .object({
    access_token: z.string(),
    token_type: z.literal("bearer"),
    expires_in: z.number().int().describe("Seconds until the token expires."),
  })
  .meta({ id: "TokenResponse" });
export type TokenResponse = z.infer<typeof tokenResponseSchema>;

export const healthResponseSchema = z
  .object({
    status: z.enum(["ok", "degraded"]),
    version: z.string(),
    time: z.string(),
    storage: z.object({ reachable: z.boolean(), table: z.string(), error: z.string().optional() }),
    cache: z.object({ kind: z.enum(["upstash", "memory"]), reachable: z.boolean() }),
    spotify: z.object({
      configured: z.boolean(),
      linked: z.boolean(),
      needs_reauth: z.boolean(),
    }),
  })
  .meta({ id: "Health" });
export type HealthResponse = z.infer<typeof healthResponseSchema>;

const limitSchema = (fallback: number) =>
  z.coerce
    .number({ error: "must be a whole number" })
    .int("must be a whole number")
    .min(1)
    .max(500)
    .default(fallback);

/** ISO-8601 instant with a zone (Z or ±hh:mm), normalised to the UTC form the store sorts by. */
const instantSchema = z.iso
  .datetime({ offset: true, error: "must be an ISO-8601 date-time with a zone, e.g. 2026-11-21T10:00:00Z" })
  .transform((v) => new Date(v).toISOString());

export const playsQuerySchema = z
  .object({
    from: instantSchema.optional().describe("Inclusive lower bound on listened_at."),
    to: instantSchema.optional().describe("Exclusive upper bound on listened_at."),
    limit: limitSchema(50),
    cursor: z.string().optional().describe("next_cursor of the previous page."),
  })
  .refine((q) => !q.from || !q.to || q.from < q.to, { message: "must be later than from", path: ["to"] });

export const tracksQuerySchema = z.object({
  sort: z.enum(["listen_count", "last_listened"]).default("listen_count"),
  limit: limitSchema(50),
  cursor: z.string().optional(),
});

/** `?redirect=true` answers 302 to Spotify instead of JSON (handy as a browser bookmark). */
export const spotifyAuthorizeQuerySchema = z.object({
  redirect: z
    .enum(["true", "false", "1", "0"], { error: "must be true or false" })
    .optional()
    .transform((v) => v === "true" || v === "1")
    .describe("true: answer 302 to the Spotify consent page instead of JSON."),
});

export const spotifyAuthorizeResponseSchema = z
  .object({
    url: z.string().describe("Spotify's consent page; open it in a browser."),
    state: z.string().describe("Single-use OAuth state carried through Spotify's redirect."),
    expires_in: z.number().int().describe("Seconds the state stays valid."),
  })
  .meta({ id: "SpotifyAuthorize" });
export type SpotifyAuthorizeResponse = z.infer<typeof spotifyAuthorizeResponseSchema>;

/** Spotify's redirect: `?code=&state=` on consent, `?error=&state=` on refusal. All optional so
 * the handler, not the validator, explains what is missing (as HTML to a browser). */
export const spotifyCallbackQuerySchema = z.object({
  code: z.string().optional(),
  state: z.string().optional(),
  error: z.string().optional().describe("Set by Spotify instead of code, e.g. access_denied."),
  error_description: z.string().optional(),
});

export const spotifyCallbackResponseSchema = z
  .object({
    linked: z.literal(true),
    user_id: z.string().nullable(),
    display_name: z.string().nullable(),
  })
  .meta({ id: "SpotifyLinked" });
export type SpotifyCallbackResponse = z.infer<typeof spotifyCallbackResponseSchema>;

export const manualPollResponseSchema = z
  .object({
    loop: z
      .enum(["running", "idle"])
      .describe("running: the playback loop records everything; this only reports"),
    recorded: z.array(
      z.object({
        track_id: z.string(),
        listened_at: z.string(),
        counted: z.boolean(),
        result: z.enum(["recorded", "duplicate"]),
      }),
    ),
    now_playing: z.unknown().nullable(),
    next_delay_seconds: z.number().nullable(),
  })
  .meta({ id: "ManualPoll" });

export const backfillResultSchema = z
  .object({
    fetched: z.number().int().describe("Recently-played entries Spotify returned after the cursor."),
    matched: z.number().int().describe("Entries already stored (by the playback loop or an earlier run)."),
    inserted: z.number().int().describe("Entries stored now as estimated listens (estimated: true)."),
    skipped: z
      .number()
      .int()
      .describe("Entries left for the next run: too recent while the playback loop is live."),
    cursor: z.string().nullable().describe("Newest played_at processed; the next run starts after it."),
  })
  .meta({ id: "BackfillResult" });

export const syncMetadataQuerySchema = z.object({
  limit: limitSchema(100).describe("At most this many artists and this many albums."),
});

const syncCountsSchema = z.object({
  synced: z.number().int().describe("Saved with Spotify's metadata."),
  missing: z.number().int().describe("Unknown to Spotify now: saved empty so they leave the queue."),
  failed: z.number().int().describe("Left queued by a transient Spotify failure."),
});

export const metadataSyncResultSchema = z
  .object({ artists: syncCountsSchema, albums: syncCountsSchema })
  .meta({ id: "MetadataSyncResult" });

// ------------------------------------------------------------------ now playing and cards

/** `true/false/1/0`, or the default when absent; anything else is a 400 naming the option. */
const flagSchema = (fallback: boolean) =>
  z
    .enum(["true", "false", "1", "0"], { error: "must be true, false, 1 or 0" })
    .optional()
    .transform((v) => (v === undefined ? fallback : v === "true" || v === "1"));

const cardOptions = {
  theme: z
    .enum(THEME_NAMES, { error: `must be one of: ${THEME_NAMES.join(", ")}` })
    .default("light")
    .describe("Card colours: `light` or `dark` (GitHub's palettes)."),
  width: z.coerce
    .number({ error: "must be a whole number" })
    .int("must be a whole number")
    .min(CARD_WIDTH.min)
    .max(CARD_WIDTH.max)
    .default(CARD_WIDTH.default)
    .describe(`Card width in px, ${CARD_WIDTH.min}–${CARD_WIDTH.max}.`),
  art: flagSchema(true).describe("`0` leaves the album art out."),
};

const cardLimitSchema = z.coerce
  .number({ error: "must be a whole number" })
  .int("must be a whole number")
  .min(1)
  .max(10)
  .default(5)
  .describe("Rows, 1–10.");

export const nowPlayingCardQuerySchema = z.object({
  ...cardOptions,
  show_progress: flagSchema(true).describe("`false` hides the progress bar."),
});

export const recentlyPlayedCardQuerySchema = z.object({ ...cardOptions, limit: cardLimitSchema });

export const topArtistsCardQuerySchema = z.object({
  ...cardOptions,
  range: z
    .enum(TOP_RANGES, { error: `must be one of: ${TOP_RANGES.join(", ")}` })
    .default("4w")
    .describe("Period: 7d, 4w, 6m, 1y or all."),
  limit: cardLimitSchema,
});

export const nowPlayingResponseSchema = z
  .object({
    state: z
      .enum(["playing", "paused", "last_played", "empty"])
      .describe("empty: nothing recorded yet; last_played: nothing plays now."),
    is_playing: z.boolean(),
    kind: z.enum(["track", "episode", "local"]).nullable(),
    title: z.string().nullable(),
    artists: z.array(z.string()),
    album: z.string().nullable().describe("Album name (the show for an episode)."),
    album_art: z.string().nullable().describe("Image URL as Spotify gave it (smallest ≥ 64 px)."),
    url: z.string().nullable().describe("open.spotify.com link; null for local files."),
    progress_ms: z
      .number()
      .int()
      .nullable()
      .describe("Extrapolated to fetched_at while playing, clamped to the duration; frozen when paused."),
    duration_ms: z.number().int().nullable(),
    device_type: z.string().nullable(),
    played_at: z.string().nullable().describe("When the last played item ended (last_played only)."),
    observed_at: z
      .string()
      .nullable()
      .describe("When the playback loop last saw the player change; null when read from history."),
    fetched_at: z.string().describe("The moment this answer describes (the request time)."),
  })
  .meta({ id: "NowPlaying" });
export type NowPlayingResponse = z.infer<typeof nowPlayingResponseSchema>;

// ------------------------------------------------------------------ Spotify's top lists

export const spotifyTopQuerySchema = z.object({
  type: z.enum(["artists", "tracks"], { error: "must be artists or tracks" }),
  time_range: z
    .enum(["short_term", "medium_term", "long_term"], {
      error: "must be short_term, medium_term or long_term",
    })
    .default("medium_term")
    .describe("Spotify's windows: short_term ≈ 4 weeks, medium_term ≈ 6 months, long_term ≈ 1 year."),
  limit: z.coerce
    .number({ error: "must be a whole number" })
    .int("must be a whole number")
    .min(1)
    .max(50)
    .default(20)
    .describe("How many, 1–50 (Spotify's maximum)."),
});

const artistRef = z.object({ id: z.string().nullable(), name: z.string() });

export const spotifyTopResponseSchema = z
  .object({
    type: z.enum(["artists", "tracks"]),
    time_range: z.enum(["short_term", "medium_term", "long_term"]),
    limit: z.number().int(),
    fetched_at: z.string().describe("When Spotify was asked: answers are cached for an hour."),
    total: z.number().int().describe("How many Spotify could list for this window."),
    items: z.array(
      z.union([
        z.object({
          rank: z.number().int(),
          artist_id: z.string(),
          name: z.string(),
          genres: z.array(z.string()),
          popularity: z.number().nullable(),
          image_url: z.string().nullable(),
          url: z.string().nullable(),
        }),
        z.object({
          rank: z.number().int(),
          track_id: z.string(),
          name: z.string(),
          artists: z.array(artistRef),
          album: z
            .object({ id: z.string().nullable(), name: z.string(), image_url: z.string().nullable() })
            .nullable(),
          duration_ms: z.number().int(),
          popularity: z.number().nullable(),
          url: z.string().nullable(),
        }),
      ]),
    ),
  })
  .meta({ id: "SpotifyTop" });

// ------------------------------------------------------------------ import and export

export const importFormatSchema = z.enum([
  "spotify-extended",
  "spotify-account",
  "spotify-account-podcast",
  "hoardify",
  "empty",
]);
export type ImportFormat = z.infer<typeof importFormatSchema>;

export const skipReasonSchema = z.enum(["incognito", "zero_ms", "no_item", "duplicate_row"]);
export type SkipReason = z.infer<typeof skipReasonSchema>;

export const importQuerySchema = z.object({
  file: z
    .string()
    .max(200)
    .optional()
    .describe("The file's name, for the summary and error messages (default `body`)."),
});

export const importSummarySchema = z
  .object({
    file: z.string(),
    format: importFormatSchema.describe("hoardify: our own export, JSON or CSV."),
    sha256: z.string().describe("Content hash: the key of the file's resume checkpoint."),
    status: z
      .enum(["imported", "partial", "already_imported"])
      .describe(
        "partial: the time budget ran out; send the same file again to resume. already_imported: " +
          "a finished checkpoint exists for this content, nothing was read.",
      ),
    entries: z.number().int().describe("Rows in the file; when complete = imported + matched + skipped."),
    imported: z.number().int().describe("Listens stored now (source import, estimated: true)."),
    counted: z.number().int().describe("Of those, how many count as plays (the rest are stored as skips)."),
    matched: z
      .number()
      .int()
      .describe("Already in the hoard: captured live, backfilled, or imported before (nothing written)."),
    skipped: z
      .object({
        incognito: z.number().int().describe("Private-session rows: the person asked not to be recorded."),
        zero_ms: z.number().int().describe("ms_played 0: nothing was heard."),
        no_item: z.number().int().describe("Rows naming no track or episode (audiobooks, missing metadata)."),
        duplicate_row: z.number().int().describe("The same item ending at the same instant again."),
      })
      .describe("Rows not imported, by reason."),
    resumed_from: z
      .number()
      .int()
      .nullable()
      .describe("Listens an earlier, interrupted run had already done (null: started from the start)."),
  })
  .meta({ id: "ImportSummary" });
export type ImportSummary = z.infer<typeof importSummarySchema>;

export const exportQuerySchema = z.object({
  limit: z.coerce
    .number({ error: "must be a whole number" })
    .int("must be a whole number")
    .min(1)
    .max(1000)
    .default(500)
    .describe("Plays per page, 1–1000."),
  cursor: z.string().optional().describe("next_cursor of the previous page (also in the Link header)."),
});
