import * as z from "zod";

/**
 * The stored documents. Field names follow the documents of the service we replace
 * (snake_case: `track_id`, `listened_at`, `listen_count`, `first_listened`, …).
 * Times are ISO-8601 UTC strings with milliseconds.
 */

/**
 * No listen is older than this: Spotify launched in October 2008. Imports refuse rows before it
 * and the statistics never read a window that starts earlier (a stray row must not make them
 * walk centuries of empty buckets).
 */
export const EARLIEST_LISTEN_MS = Date.UTC(2008, 0, 1);

export const itemKindSchema = z.enum(["track", "episode", "local"]);
export type ItemKind = z.infer<typeof itemKindSchema>;

export const artistRefSchema = z.object({ id: z.string().nullable(), name: z.string() });

export const trackSchema = z
  .object({
    /** Spotify id; local files have none and are keyed by their URI. */
    track_id: z.string(),
    kind: itemKindSchema,
    name: z.string(),
    uri: z.string(),
    artists: z.array(artistRefSchema),
    album: z
      .object({ id: z.string().nullable(), name: z.string(), image_url: z.string().nullable() })
      .nullable(),
    duration_ms: z.number().int().nonnegative(),
    explicit: z.boolean().optional(),
    listen_count: z.number().int().nonnegative(),
    skip_count: z.number().int().nonnegative(),
    listened_ms_total: z.number().int().nonnegative(),
    first_listened: z.string().nullable(),
    last_listened: z.string().nullable(),
  })
  .meta({ id: "Track" });
export type Track = z.infer<typeof trackSchema>;

export const playSourceSchema = z.enum(["poll", "backfill", "import"]);

export const playSchema = z
  .object({
    track_id: z.string(),
    kind: itemKindSchema,
    name: z.string(),
    artists: z.array(artistRefSchema),
    album_id: z.string().nullable(),
    listened_at: z.string().describe("When the listen started (UTC, ms precision)."),
    ended_at: z.string(),
    listened_ms: z.number().int().nonnegative(),
    duration_ms: z.number().int().nonnegative(),
    counted: z.boolean().describe("True when the listen counts as a play; false for a skip."),
    estimated: z.boolean().describe("True when the start time was estimated (backfill/import)."),
    source: playSourceSchema,
    device_name: z.string().nullable(),
    device_type: z.string().nullable(),
    context_type: z.string().nullable(),
    context_uri: z.string().nullable(),
    shuffle_state: z.boolean().nullable(),
  })
  .meta({ id: "Play" });
export type Play = z.infer<typeof playSchema>;

export const artistSchema = z
  .object({
    artist_id: z.string(),
    name: z.string(),
    genres: z.array(z.string()).nullable(),
    popularity: z.number().int().nullable(),
    image_url: z.string().nullable(),
    synced_at: z.string().nullable(),
  })
  .meta({ id: "Artist" });
export type Artist = z.infer<typeof artistSchema>;

export const albumSchema = z
  .object({
    album_id: z.string(),
    name: z.string(),
    artists: z.array(artistRefSchema),
    image_url: z.string().nullable(),
    label: z.string().nullable(),
    release_date: z.string().nullable(),
    album_type: z.string().nullable(),
    total_tracks: z.number().int().nullable(),
    synced_at: z.string().nullable(),
  })
  .meta({ id: "Album" });
export type Album = z.infer<typeof albumSchema>;

export const spotifyLinkSchema = z.object({
  refresh_token: z.string(),
  scope: z.string(),
  linked_at: z.string(),
  user_id: z.string().nullable(),
  display_name: z.string().nullable(),
  needs_reauth: z.boolean(),
  reauth_reason: z.string().nullable(),
  /** Spotify's quota back-off (429 Retry-After) ends then; the watchdog does not call before. */
  quota_until: z.string().nullable().optional(),
  /** A playback loop's lease runs until then (shared/capture/loop.ts notes it): the watchdog rests. */
  loop_until: z.string().nullable().optional(),
});
export type SpotifyLink = z.infer<typeof spotifyLinkSchema>;

export const jobRunSchema = z.object({
  job: z.string(),
  started_at: z.string(),
  finished_at: z.string(),
  ok: z.boolean(),
  result: z.record(z.string(), z.unknown()),
});
export type JobRun = z.infer<typeof jobRunSchema>;
