import * as z from "zod";

/**
 * A listener: one linked Spotify account in the household, with its own hoard, loop and cards.
 * The owner (the admin, who deploys it and logs in with the password) has the fixed id
 * `owner`: the password login mints its token without reading the table (the login function
 * has no table grant), and a hoard recorded before listeners existed becomes the owner's.
 * Members get a random id when they join with an invite.
 */
export const OWNER_ID = "owner";

/** URL-safe: it is a path segment of the public cards (`/u/{handle}/…`). */
export const handleSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{1,31}$/, "2-32 characters: a-z, 0-9, _ and -, starting with a letter or digit");

export const listenerIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/);

export const roleSchema = z.enum(["owner", "member"]);
export type Role = z.infer<typeof roleSchema>;

export const listenerSchema = z
  .object({
    listener_id: listenerIdSchema,
    handle: handleSchema,
    role: roleSchema,
    /** Spotify's stable account id (`/v1/me` `id`); null until the owner links. */
    spotify_id: z.string().nullable(),
    display_name: z.string().nullable(),
    created_at: z.string(),
    last_seen_at: z.string().nullable(),
    /** Whether the `/u/{handle}/…` cards answer anybody (the owner's `/spotify/…` cards always do). */
    public: z.boolean(),
    /**
     * Whether the year-in-review card (`/u/{handle}/year/{year}.svg`, the owner's also at
     * `/spotify/year/{year}.svg`) answers anybody. Opt-in: absent (every listener stored before
     * it existed) is off, and an off card is a 404 for everyone.
     */
    year_card: z.boolean().optional(),
    /**
     * Set when the owner (or the member) started removing the listener
     * (shared/listeners/remove.ts): from then on their sessions and tokens are refused, their
     * cards are nobody's and their account cannot sign in again, while the purge goes on.
     */
    removing_since: z.string().optional(),
  })
  .meta({ id: "Listener" });
export type Listener = z.infer<typeof listenerSchema>;

/** The owner's listener as it is before anything was stored about it. */
export function ownerListener(now: Date): Listener {
  return {
    listener_id: OWNER_ID,
    handle: OWNER_ID,
    role: "owner",
    spotify_id: null,
    display_name: null,
    created_at: now.toISOString(),
    last_seen_at: null,
    public: true,
  };
}
