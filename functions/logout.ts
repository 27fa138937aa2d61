import { clearedSessionCookie, secureCookies } from "#shared/auth/session.ts";
import { httpHandler, json } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";

export const handler = httpHandler(routes.logout, async ({ deps }) =>
  json({ signed_out: true }, 200, { "Set-Cookie": clearedSessionCookie(secureCookies(deps.config)) }),
);
