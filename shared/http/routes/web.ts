import { defineRoute, type RouteDef } from "../route.ts";
import { tokenFormSchema } from "../schemas.ts";
import { assetPathSchema, pagePathSchema, signInResponseSchema } from "../web-schemas.ts";
import { error } from "./common.ts";

export const webRoutes = {
  signIn: defineRoute({
    method: "POST",
    path: "/login",
    handler: "functions/sign-in.ts",
    auth: "none",
    exposure: "public",
    // The owner's password, checked as POST /token does (bcrypt, failures counted in the cache).
    tableAccess: "none",
    memoryMb: 1024,
    summary:
      "Sign the owner in with the admin password (the form of POST /token) and open a browser session: " +
      "an httpOnly cookie, so the dashboard never holds a token in script",
    tags: ["auth"],
    request: { body: tokenFormSchema, bodyType: "form" },
    responses: {
      200: { description: "Signed in (the session cookie is set)", schema: signInResponseSchema },
      401: error("Wrong username or password"),
      422: error("Missing or malformed form fields"),
      429: error("Too many failed logins from this client; see Retry-After"),
      503: error("Admin login is not configured"),
    },
  }),
  web: defineRoute({
    method: "GET",
    path: "/",
    handler: "functions/web.ts",
    auth: "none",
    exposure: "public",
    // Static files from the function's own asset: no table, and the shell is the same for all.
    tableAccess: "none",
    summary: "The dashboard: its HTML shell (strict CSP, no inline script); the pages call this API",
    tags: ["dashboard"],
    responses: {
      200: { description: "HTML shell", mediaType: "text/html" },
      503: error("The dashboard was not built into this deployment"),
    },
  }),
  webPage: defineRoute({
    method: "GET",
    path: "/app/{page+}",
    handler: "functions/web.ts",
    auth: "none",
    exposure: "public",
    tableAccess: "none",
    summary: "A dashboard page (the same shell, so a reload or a shared link opens that page)",
    tags: ["dashboard"],
    request: { path: pagePathSchema },
    responses: {
      200: { description: "HTML shell", mediaType: "text/html" },
      400: error("No dashboard page has this path"),
      503: error("The dashboard was not built into this deployment"),
    },
  }),
  webAsset: defineRoute({
    method: "GET",
    path: "/assets/{file}",
    handler: "functions/web.ts",
    auth: "none",
    exposure: "public",
    tableAccess: "none",
    summary: "A content-hashed dashboard file (script, stylesheet), cached for a year (immutable)",
    tags: ["dashboard"],
    request: { path: assetPathSchema },
    responses: {
      200: { description: "The file (gzip or brotli when accepted)", mediaType: "text/javascript" },
      400: error("Not a built file's name"),
      404: error("No such file in this build"),
      503: error("The dashboard was not built into this deployment"),
    },
  }),
} as const satisfies Record<string, RouteDef>;
