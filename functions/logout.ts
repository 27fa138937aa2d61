import { clearedSessionCookie, secureCookies } from "#shared/auth/session.ts";
import { httpHandler, json } from "#shared/http/middleware.ts";
import { householdRoutes } from "#shared/http/routes/household.ts";

export const handler = httpHandler(householdRoutes.logout, async ({ deps }) =>
  json({ signed_out: true }, 200, { "Set-Cookie": clearedSessionCookie(secureCookies(deps.config)) }),
);
