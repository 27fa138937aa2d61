import * as z from "zod";
import { handleSchema, listenerSchema } from "../domain/listener.ts";

/** The payloads of the household routes (listeners, invites, sessions, admin). */

export const handlePathSchema = z.object({ handle: handleSchema });

/** An invite code: 32 random bytes, base64url. */
export const inviteCodeSchema = z.string().regex(/^[A-Za-z0-9_-]{20,64}$/, "is not an invite code");

export const loginQuerySchema = z.object({
  invite: inviteCodeSchema.optional().describe("The code of an invite the owner made (joining only)"),
});

export const meResponseSchema = listenerSchema
  .extend({
    year_card: z.boolean().describe("Whether the year-in-review card answers anybody (opt-in, default off)"),
    linked: z.boolean(),
    needs_reauth: z.boolean(),
  })
  .meta({ id: "Me" });

export const mePatchSchema = z
  .object({
    public: z.boolean().optional().describe("Whether /u/{handle}/… cards answer anybody"),
    year_card: z
      .boolean()
      .optional()
      .describe("Whether the year-in-review card (/u/{handle}/year/{year}.svg) answers anybody"),
  })
  .strict()
  .refine((b) => b.public !== undefined || b.year_card !== undefined, {
    message: "name at least one setting: public, year_card",
  });

export const inviteBodySchema = z
  .object({
    handle: handleSchema.optional().describe("The handle the member gets (default: from their Spotify name)"),
    expires_in_hours: z.number().int().min(1).max(720).default(72),
  })
  .strict();

export const inviteResponseSchema = z.object({
  code: inviteCodeSchema,
  url: z.string().describe("Send this link to the person invited: GET /login?invite=…"),
  expires_at: z.string(),
  handle: z.string().nullable(),
});

export const listenerSummarySchema = listenerSchema
  .extend({
    linked: z.boolean(),
    needs_reauth: z.boolean(),
    quota_until: z.string().nullable().describe("Spotify's quota back-off (429) runs until then"),
    plays: z.number().int(),
    counted_plays: z.number().int(),
    last_listened_at: z.string().nullable().describe("When the newest stored listen started"),
    last_poll_at: z.string().nullable().describe("The last poll Spotify answered (noted every 5 minutes)"),
    loop_alive: z.boolean().describe("A playback loop holds the listener's lease now"),
    loop_until: z
      .string()
      .nullable()
      .describe(
        "The running loop's lease note: until then it runs; null: idle (the watchdog looks each minute)",
      ),
  })
  .meta({ id: "ListenerSummary" });

export const listenersResponseSchema = z.object({ items: z.array(listenerSummarySchema) });

const rankedSchema = z.object({ id: z.string(), name: z.string().nullable(), plays: z.number().int() });

export const listenerReportSchema = z.object({
  listener: listenerSummarySchema,
  top_artists: z.array(rankedSchema),
  top_tracks: z.array(rankedSchema),
});

export const deleteListenerResponseSchema = z.object({
  handle: z.string(),
  deleted_items: z.number().int().describe("Items deleted by this call"),
  more: z.boolean().describe("Call again: the listener's items are not all gone yet"),
});

export const clearCacheResponseSchema = z.object({ cleared: z.number().int() });
