import * as z from "zod";
import { CARD_WIDTH } from "../cards/model.ts";
import { THEME_NAMES } from "../cards/themes.ts";
import { jobRunSchema, playSchema } from "../domain/entities.ts";
import { STATS_RANGES, type StatsRange } from "../stats/plan.ts";
import { addDays, canonicalTimeZone, dateKey, isTimeZone, localDayStart } from "../stats/zones.ts";
import { listenerSummarySchema } from "./household-schemas.ts";

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
      missing: z
        .array(z.string())
        .describe("Spotify settings still unset; some but not all of them makes the status degraded."),
      // The link lives in the table: with storage down, whether it exists is not known.
      linked: z.union([z.boolean(), z.literal("unknown")]),
      needs_reauth: z.union([z.boolean(), z.literal("unknown")]),
    }),
    loop: z.object({
      last_successful_poll_at: z
        .string()
        .nullable()
        .describe("When the playback loop last heard from Spotify (noted at most once every 5 minutes)."),
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

/**
 * A play's id is its storage key, `<listened_at>#<track_id>` (both fields are in every play of
 * GET /plays); in a path the `#` is sent as `%23`.
 */
const PLAY_ID = /^([+-]\d{6}|\d{4})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z#.{1,500}$/;
const splitPlayId = (v: string) => ({
  listened_at: v.slice(0, v.indexOf("#")),
  track_id: v.slice(v.indexOf("#") + 1),
});
export const playIdPathSchema = z.object({
  id: z
    .string({ error: "is required" })
    // toISOString's own form, extended years included: rows stored before imports checked
    // their bounds (year −1142) must be deletable too.
    .refine(
      (v) => {
        if (!PLAY_ID.test(v)) return false;
        const at = splitPlayId(v).listened_at;
        const ms = Date.parse(at);
        return Number.isFinite(ms) && new Date(ms).toISOString() === at;
      },
      {
        message:
          "must be a play id, <listened_at>#<track_id>, e.g. 2026-11-21T10:00:00.000Z%234uLU6hMCjMI75M1A2tKUQC",
      },
    )
    .transform(splitPlayId)
    .describe("The play's listened_at and track_id joined by `#` (sent as %23)."),
});

/** A range delete takes both bounds: "everything" is never one slip away. */
export const deletePlaysQuerySchema = z
  .object({
    from: instantSchema.describe("Inclusive lower bound on listened_at (required)."),
    to: instantSchema.describe("Exclusive upper bound on listened_at (required)."),
    limit: z.coerce
      .number({ error: "must be a whole number" })
      .int("must be a whole number")
      .min(1)
      .max(500)
      .default(100)
      .describe("At most this many plays per call, newest first; call again while `more` is true."),
  })
  .refine((q) => q.from < q.to, { message: "must be later than from", path: ["to"] });

export const deletePlaysResponseSchema = z
  .object({
    deleted: z.number().int().describe("Plays deleted now, their counters taken back."),
    more: z.boolean().describe("The range still holds plays beyond `limit`: call again."),
  })
  .meta({ id: "DeletedPlays" });

export const deletePlayResponseSchema = z
  .object({ deleted: z.literal(true), play: playSchema })
  .meta({ id: "DeletedPlay" });

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
    loop: z
      .enum(["started", "running", "quota", "no_starter", "error"])
      .describe("Whether linking started the playback loop at once (else the watchdog does within a minute)"),
    handle: z.string().describe("The listener the account is linked to"),
    joined: z.boolean().describe("True when this consent made a new member (an invite)"),
  })
  .meta({ id: "SpotifyLinked" });
export type SpotifyCallbackResponse = z.infer<typeof spotifyCallbackResponseSchema>;

export const manualPollResponseSchema = z
  .object({
    loop: z
      .enum(["running", "started", "idle"])
      .describe(
        "running: the playback loop records everything, this only reports; started: this poll started the loop; idle: no loop could be started (the watchdog will)",
      ),
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
  limit: limitSchema(100).describe("At most this many imported tracks, artists and albums."),
});

const syncCountsSchema = z.object({
  synced: z.number().int().describe("Saved with Spotify's metadata."),
  missing: z.number().int().describe("Unknown to Spotify now: saved empty so they leave the queue."),
  failed: z.number().int().describe("Left queued by a transient Spotify failure."),
});

export const metadataSyncResultSchema = z
  .object({
    tracks: syncCountsSchema
      .extend({
        remaining: z.number().int().describe("Waiting for a later run (beyond this run's limit)."),
        linked: z
          .number()
          .int()
          .describe(
            "Tracks whose artists, known by name only, were linked to the Spotify id another track names.",
          ),
        merged: z
          .number()
          .int()
          .describe(
            "Tracks known by names only (older account export) merged into the Spotify track of that song.",
          ),
      })
      .describe(
        "Imported tracks given Spotify's artists, album and duration: their plays' counters move from the name-keyed artist and album to Spotify's ids, and `counted` is decided again.",
      ),
    artists: syncCountsSchema,
    albums: syncCountsSchema,
  })
  .meta({ id: "MetadataSyncResult" });

// ------------------------------------------------------------------ now playing and cards

/** The caller's IANA time zone, for the statistics and the cards that count local days. */
const tzSchema = z
  .string()
  .default("UTC")
  .refine(isTimeZone, { message: "must be an IANA time zone name, e.g. Europe/Paris or America/New_York" })
  .transform((v) => (isTimeZone(v) ? canonicalTimeZone(v) : v))
  .describe("IANA time zone that days, weeks, months and hours are counted in. Default UTC.");

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

/** The named periods, shared by the statistics routes and the top-artists card. */
const rangeNameSchema = z.enum(STATS_RANGES, { error: `must be one of: ${STATS_RANGES.join(", ")}` });

export const recentlyPlayedCardQuerySchema = z.object({ ...cardOptions, limit: cardLimitSchema });

export const topArtistsCardQuerySchema = z.object({
  ...cardOptions,
  range: rangeNameSchema.default("4w").describe("Period: 7d, 4w, 6m, 1y or all."),
  limit: cardLimitSchema,
});

/** A year card's path segment: `2025.svg` (API Gateway takes a path variable only as a whole segment). */
export const yearCardPathSchema = z.object({
  file: z
    .string()
    .regex(/^\d{4}\.svg$/, "must be a year and .svg, e.g. 2025.svg")
    .transform((v) => Number(v.slice(0, 4)))
    .pipe(z.number().min(2008, "must be 2008 (Spotify's launch) or later"))
    .describe("The year and `.svg`, e.g. `2025.svg`: a calendar year in tz."),
});

/** The year card takes theme and width, and the zone its year's days are counted in. */
export const yearCardQuerySchema = z.object({
  theme: cardOptions.theme,
  width: cardOptions.width,
  tz: tzSchema.describe("IANA time zone the year's local days are counted in. Default UTC."),
});

/** The weekly grid has no art (its cells are minutes), so it takes theme and width only. */
export const weeklyGridCardQuerySchema = z.object({
  theme: cardOptions.theme,
  width: cardOptions.width,
  tz: tzSchema.describe("IANA time zone whose last 7 local days and hours the grid shows. Default UTC."),
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

export const skipReasonSchema = z.enum([
  "incognito",
  "zero_ms",
  "no_item",
  "duplicate_row",
  "ms_played_too_long",
  "time_out_of_range",
]);
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
        no_item: z
          .number()
          .int()
          .describe('Rows naming no track or episode (audiobooks, missing metadata, "Unknown Track").'),
        duplicate_row: z
          .number()
          .int()
          .describe(
            "A row repeated: the same item, end and ms_played (another ms_played is another listen).",
          ),
        ms_played_too_long: z
          .number()
          .int()
          .describe("Rejected: played longer than the item lasts, or over 24 h when its length is unknown."),
        time_out_of_range: z
          .number()
          .int()
          .describe("Rejected: started before 2008 (before Spotify) or ends more than a day from now."),
      })
      .describe("Rows not imported, by reason (the last two are implausible rows, never stored)."),
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

// ------------------------------------------------------------------ statistics

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
/**
 * A real calendar date: `2026-13-45`, month 00, day 00 or 32, Feb 30 are refused (Date would
 * roll them over or give an Invalid Date, whose toISOString throws).
 */
const isDate = (v: string) => {
  if (!DATE_ONLY.test(v)) return false;
  const ms = Date.parse(`${v}T00:00:00.000Z`);
  return Number.isFinite(ms) && dateKey(ms) === v;
};
const isInstant = (v: string) => z.iso.datetime({ offset: true }).safeParse(v).success;
/**
 * Bounds outside these years are refused rather than clamped: they mean nothing for a hoard
 * (shared/stats/plan.ts keeps any window within Spotify's lifetime anyway), and a `to` date of
 * 9999-12-31 would run the day arithmetic past the years Date can spell with four digits.
 */
const BOUND_YEARS = { min: 1970, max: 9998 } as const;
const inBoundYears = (v: string) => {
  const year = new Date(Date.parse(isDate(v) ? `${v}T00:00:00.000Z` : v)).getUTCFullYear();
  return year >= BOUND_YEARS.min && year <= BOUND_YEARS.max;
};

/** A `from`/`to` bound in ms: a date is a local day in `tz` (`to` includes that day). */
function boundMs(v: string, tz: string, which: "from" | "to"): number {
  if (!isDate(v)) return Date.parse(v);
  return localDayStart(tz, which === "from" ? v : addDays(v, 1));
}

const rangeBoundSchema = z
  .string()
  .refine((v) => isDate(v) || isInstant(v), {
    message: "must be a date (YYYY-MM-DD, in tz) or an ISO-8601 date-time with a zone",
    abort: true,
  })
  .refine(inBoundYears, { message: `must lie between ${BOUND_YEARS.min} and ${BOUND_YEARS.max}` });

/**
 * The period every statistic takes: `range`, or `from`/`to`, in the caller's IANA time zone.
 * Parses to the RangeSpec of shared/stats/plan.ts (bounds in epoch ms).
 */
export const statsRangeShape = (defaultRange: StatsRange) => ({
  range: rangeNameSchema
    .optional()
    .describe(
      `Period ending now, in whole local days: 7d, 4w (28 days), 6m, 1y, or all. Default ${defaultRange} unless from/to is given.`,
    ),
  from: rangeBoundSchema
    .optional()
    .describe("Start: a local date (YYYY-MM-DD, from its midnight in tz) or an instant with a zone."),
  to: rangeBoundSchema
    .optional()
    .describe("End: a local date (included) or an instant (excluded). Default: now."),
  tz: tzSchema,
});

interface RangeQuery {
  range?: StatsRange | undefined;
  from?: string | undefined;
  to?: string | undefined;
  tz: string;
}

function checkRange(q: RangeQuery, ctx: z.RefinementCtx): void {
  if (q.range && (q.from || q.to)) {
    ctx.addIssue({ code: "custom", path: ["range"], message: "use either range or from/to, not both" });
  }
  if (q.from && q.to && isTimeZone(q.tz) && boundMs(q.from, q.tz, "from") >= boundMs(q.to, q.tz, "to")) {
    ctx.addIssue({ code: "custom", path: ["to"], message: "must be later than from" });
  }
}

const toRangeSpec =
  (defaultRange: StatsRange) =>
  <Q extends RangeQuery>(q: Q) => ({
    ...q,
    range: q.range ?? (q.from || q.to ? undefined : defaultRange),
    from: q.from ? boundMs(q.from, q.tz, "from") : undefined,
    to: q.to ? boundMs(q.to, q.tz, "to") : undefined,
  });

const statsLimitSchema = (fallback: number, max: number) =>
  z.coerce
    .number({ error: "must be a whole number" })
    .int("must be a whole number")
    .min(1)
    .max(max)
    .default(fallback)
    .describe(`Rows, 1–${max}.`);

const rankBySchema = z
  .enum(["plays", "time"], { error: "must be plays or time" })
  .default("plays")
  .describe("plays: most played first; time: most listened time first.");

export const statsTopQuerySchema = z
  .object({ ...statsRangeShape("4w"), by: rankBySchema, limit: statsLimitSchema(10, 100) })
  .superRefine(checkRange)
  .transform(toRangeSpec("4w"));
export const statsRangeQuerySchema = z
  .object(statsRangeShape("all"))
  .superRefine(checkRange)
  .transform(toRangeSpec("all"));
export const statsTimelineQuerySchema = z
  .object({
    ...statsRangeShape("all"),
    bucket: z
      .enum(["day", "week", "month"], { error: "must be day, week or month" })
      .default("day")
      .describe("Local days, ISO weeks (from Monday) or calendar months."),
  })
  .superRefine(checkRange)
  .transform(toRangeSpec("all"));
export const statsMoodQuerySchema = z
  .object({
    ...statsRangeShape("4w"),
    by: z
      .enum(["plays", "time"], { error: "must be plays or time" })
      .default("time")
      .describe("Weigh each track's vector by its plays, or by its listened time (default)."),
    limit: statsLimitSchema(5, 28).describe("Emotions to list, 1–28 (GoEmotions has 28 labels)."),
  })
  .superRefine(checkRange)
  .transform(toRangeSpec("4w"));

export const dashboardQuerySchema = z
  .object({ ...statsRangeShape("4w"), limit: statsLimitSchema(10, 50) })
  .superRefine(checkRange)
  .transform(toRangeSpec("4w"));

const statsRangeInfoSchema = z
  .object({
    range: z.enum(STATS_RANGES).nullable().describe("The named range, or null for from/to."),
    tz: z.string(),
    from: z.string().nullable().describe("First instant counted (UTC); null when nothing was played yet."),
    to: z.string().nullable().describe("End, excluded (UTC)."),
  })
  .meta({ id: "StatsRange" });

const counters = {
  plays: z.number().int().describe("Counted plays (skips excluded)."),
  listened_ms: z.number().int().describe("Time listened in counted plays."),
};
const topOf = <T extends z.ZodType>(item: T, id: string) =>
  z.object({ range: statsRangeInfoSchema, by: z.enum(["plays", "time"]), items: z.array(item) }).meta({ id });

export const topTracksResponseSchema = topOf(
  z.object({
    rank: z.number().int(),
    track_id: z.string(),
    name: z.string().nullable(),
    artists: z.array(z.string()),
    image_url: z.string().nullable(),
    ...counters,
  }),
  "TopTracks",
);
const topArtistSchema = z.object({
  rank: z.number().int(),
  artist_id: z.string(),
  name: z.string().nullable(),
  image_url: z.string().nullable(),
  genres: z.array(z.string()).nullable().describe("null until the metadata sync has seen the artist."),
  ...counters,
});
export const topArtistsResponseSchema = topOf(topArtistSchema, "TopArtists");
export const topAlbumsResponseSchema = topOf(
  z.object({
    rank: z.number().int(),
    album_id: z.string(),
    name: z.string().nullable(),
    image_url: z.string().nullable(),
    ...counters,
  }),
  "TopAlbums",
);
const topGenreSchema = z.object({
  rank: z.number().int(),
  genre: z.string().describe('"(no genre)" gathers artists without genres.'),
  ...counters,
  artists: z.number().int().describe("Artists of the range with this genre."),
});
export const topGenresResponseSchema = topOf(topGenreSchema, "TopGenres");

const summaryShape = {
  plays: z.number().int(),
  skips: z.number().int().describe("Listens too short to count as plays."),
  skip_rate: z.number().describe("skips / (plays + skips)."),
  listened_ms: z.number().int(),
  distinct_tracks: z.number().int(),
  distinct_artists: z.number().int(),
  longest_streak: z
    .object({ days: z.number().int(), from: z.string(), to: z.string() })
    .nullable()
    .describe("Longest run of consecutive local days with a counted play (the earliest if tied)."),
  first_listen: z
    .object({
      listened_at: z.string(),
      track_id: z.string(),
      name: z.string(),
      artists: z.array(z.string()),
    })
    .nullable()
    .describe("The earliest listen of the period (skips included)."),
};
export const statsSummaryResponseSchema = z
  .object({ range: statsRangeInfoSchema, ...summaryShape })
  .meta({ id: "StatsSummary" });

const clockShape = {
  plays: z.array(z.array(z.number().int())).describe("[weekday, Monday first][local hour 0–23]"),
  listened_ms: z.array(z.array(z.number().int())),
};
export const statsClockResponseSchema = z
  .object({ range: statsRangeInfoSchema, ...clockShape })
  .meta({ id: "ListeningClock" });

export const statsTimelineResponseSchema = z
  .object({
    range: statsRangeInfoSchema,
    bucket: z.enum(["day", "week", "month"]),
    points: z.array(
      z.object({ start: z.string().describe("Local date the bucket starts on."), ...counters }),
    ),
  })
  .meta({ id: "Timeline" });

const moodShape = {
  by: z.enum(["plays", "time"]),
  emotions: z
    .array(
      z.object({
        label: z.string(),
        score: z.number().describe("Weighted mean of the tracks' scores for this label (0–1)."),
        share: z.number().describe("This label's part of all labels' scores."),
      }),
    )
    .describe("Best first."),
  coverage: z
    .object({
      lyrics: z.number().describe("Share of listened time from tracks whose lyrics were analysed."),
      title: z.number().describe("Share from tracks without lyrics, analysed by title (flagged)."),
      instrumental: z.number(),
      pending: z.number().describe("Share not analysed yet (or analysed by another model)."),
      tracks: z.object({
        lyrics: z.number().int(),
        title: z.number().int(),
        instrumental: z.number().int(),
        pending: z.number().int(),
      }),
    })
    .describe("What the mood rests on, as shares of the range's listened time and track counts."),
  listened_ms: z.number().int(),
  plays: z.number().int(),
  model: z.string().describe("The emotion model whose vectors count (HF_MODEL)."),
  summary: z.string().describe("One line for a dashboard."),
};
export const moodResponseSchema = z
  .object({ range: statsRangeInfoSchema, ...moodShape })
  .meta({ id: "Mood" });

export const dashboardResponseSchema = z
  .object({
    profile: z
      .object({ user_id: z.string().nullable(), display_name: z.string().nullable(), linked_at: z.string() })
      .nullable()
      .describe("The linked Spotify account; null until linked."),
    now_playing: z
      .object({
        is_playing: z.boolean(),
        kind: z.enum(["track", "episode", "local"]),
        track_id: z.string(),
        title: z.string(),
        artists: z.array(z.string()),
        album: z.string().nullable(),
        album_art: z.string().nullable(),
        progress_ms: z.number().int(),
        duration_ms: z.number().int(),
        observed_at: z.string(),
      })
      .nullable()
      .describe("The playback loop's last snapshot (progress as observed then); null when none."),
    range: statsRangeInfoSchema,
    summary: z.object(summaryShape),
    top_artists: z.array(topArtistSchema),
    top_tracks: topTracksResponseSchema.shape.items,
    top_genres: z.array(topGenreSchema),
    clock: z.object(clockShape),
    recent_plays: z.array(playSchema).describe("The latest listens, newest first (skips included)."),
    mood: z.object(moodShape).describe("The range's mood weighted by listened time (GET /stats/mood)."),
  })
  .meta({ id: "Dashboard" });

export const systemStatsResponseSchema = z
  .object({
    counts: z.object({
      plays: z.number().int().describe("Every stored listen, skips included."),
      counted_plays: z.number().int(),
      tracks: z.number().int(),
      artists: z.number().int(),
      albums: z.number().int(),
    }),
    table: z
      .object({
        name: z.string(),
        size_bytes: z.number().int().nullable(),
        item_count: z.number().int().nullable(),
      })
      .describe("DynamoDB's figures (refreshed about every 6 hours); null when not readable."),
    cache: z.object({ kind: z.enum(["upstash", "memory"]), keys: z.number().int().nullable() }),
    analysis: z
      .object({
        analyzed_tracks: z.number().int().describe("Tracks with an emotion vector (or found instrumental)."),
        by_source: z
          .object({ lyrics: z.number().int(), title: z.number().int(), instrumental: z.number().int() })
          .nullable()
          .describe(
            "Vectors from lyrics, from titles (no lyrics found), instrumentals; null until the first run.",
          ),
        tracks: z.number().int(),
        model: z.string(),
        emotions_configured: z.boolean().describe("HF_TOKEN is set."),
      })
      .describe("The lyrics and mood analysis; each run is under jobs.analysis."),
    loop: z.object({
      alive: z.boolean().describe("A playback loop holds the lease now."),
      lease_holder: z.string().nullable(),
      quota_until: z.string().nullable().describe("Spotify asked us to stay away until then."),
      status: z.unknown().nullable().describe("What the loop last reported (cache key loop:status), if any."),
    }),
    jobs: z.record(z.string(), z.object({ last: jobRunSchema.nullable(), recent: z.array(jobRunSchema) })),
    listeners: z
      .array(listenerSummarySchema)
      .describe("Every listener: handle, role, plays, last listen, link, loop, last poll, last seen."),
  })
  .meta({ id: "SystemStats" });

export const rebuildResultSchema = z
  .object({
    plays: z.number().int(),
    counted_plays: z.number().int(),
    aggregates_written: z.number().int(),
    aggregates_deleted: z.number().int().describe("Aggregate items no play accounts for."),
    tracks: z.number().int(),
    artists: z.number().int(),
    albums: z.number().int(),
    months_packed: z.number().int().describe("Closed months whose day counters were packed again."),
    took_ms: z.number().int(),
  })
  .meta({ id: "RebuildResult" });
