import * as z from "zod";
import { ASSET_NAME } from "../web/assets.ts";
import { parsePagePath, WEB_PAGES } from "../web/pages.ts";

/** The dashboard's routes' inputs (shared/web/ holds what the browser bundle shares). */

export const assetPathSchema = z.object({
  file: z
    .string({ error: "is required" })
    .regex(ASSET_NAME, "must be a built file's name, e.g. main-AB12CD34.js")
    .describe("A content-hashed file name from the dashboard build."),
});

export const pagePathSchema = z.object({
  page: z
    .string({ error: "is required" })
    .refine((v) => parsePagePath(v) !== null, {
      message: `must name a dashboard page: ${Object.keys(WEB_PAGES).join(", ")} (tracks/<id>, artists/<id>)`,
    })
    .describe("The page (and its id, for tracks/… and artists/…): the browser draws it."),
});

export const signInResponseSchema = z.object({
  signed_in: z.literal(true),
  listener: z.string().describe("The listener the session acts for (the owner)."),
  expires_in: z.number().int().describe("Seconds until the session ends unless used (it renews itself)."),
});
export type SignInResponse = z.infer<typeof signInResponseSchema>;
