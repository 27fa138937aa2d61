import { z } from "zod";

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
