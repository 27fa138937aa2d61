import { defineRoute, type RouteDef } from "../route.ts";
import { healthResponseSchema, tokenFormSchema, tokenResponseSchema } from "../schemas.ts";
import { error } from "./common.ts";

export const systemRoutes = {
  health: defineRoute({
    method: "GET",
    path: "/health",
    handler: "functions/health.ts",
    auth: "none",
    exposure: "public",
    summary: "Liveness, version, storage reachability and Spotify link state",
    tags: ["system"],
    responses: { 200: { description: "Service state", schema: healthResponseSchema } },
  }),
  token: defineRoute({
    method: "POST",
    path: "/token",
    handler: "functions/token.ts",
    auth: "none",
    exposure: "public",
    // The login checks a bcrypt hash and counts failures in the cache: it never reads the table.
    tableAccess: "none",
    // bcrypt cost 12 (bcryptjs) takes 720 ms on one full core; Lambda's CPU scales with memory
    // (1 vCPU at 1,769 MB), so ~5 s at 256 MB, ~1.3 s at 1,024 MB. Logins are rare.
    memoryMb: 1024,
    summary: "Exchange the admin username and password (OAuth2 password form) for a bearer token",
    tags: ["auth"],
    request: { body: tokenFormSchema, bodyType: "form" },
    responses: {
      200: { description: "A bearer token", schema: tokenResponseSchema },
      401: error("Wrong username or password"),
      422: error("Missing or malformed form fields"),
      429: error("Too many failed logins from this client; see Retry-After"),
      503: error("Admin login is not configured"),
    },
  }),
  openapi: defineRoute({
    method: "GET",
    path: "/openapi.json",
    handler: "functions/openapi.ts",
    auth: "none",
    exposure: "public",
    summary: "This API as an OpenAPI 3.1 document",
    tags: ["system"],
    responses: { 200: { description: "OpenAPI document", mediaType: "application/json" } },
  }),
  docs: defineRoute({
    method: "GET",
    path: "/docs",
    handler: "functions/docs.ts",
    auth: "none",
    exposure: "public",
    summary: "Human-readable API reference",
    tags: ["system"],
    responses: { 200: { description: "HTML page", mediaType: "text/html" } },
  }),
} as const satisfies Record<string, RouteDef>;
