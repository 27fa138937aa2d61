import { clearedSessionCookie, secureCookies } from "#shared/auth/session.ts";
import { notFound } from "#shared/http/errors.ts";
import { httpHandler, json } from "#shared/http/middleware.ts";
import { householdRoutes } from "#shared/http/routes/household.ts";
import { purgeListener } from "#shared/listeners/remove.ts";

export const handler = httpHandler(householdRoutes.meDelete, async ({ deps }) => {
  const me = await deps.household.getListener(deps.listener);
  if (!me) throw notFound("this listener no longer exists");
  const r = await purgeListener(deps, me);
  // Gone for good: the session names nobody any more.
  return json(r, 200, r.more ? {} : { "Set-Cookie": clearedSessionCookie(secureCookies(deps.config)) });
});
