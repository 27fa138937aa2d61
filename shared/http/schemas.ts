import * as z from "zod";

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
