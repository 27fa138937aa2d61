import { conflict } from "#shared/http/errors.ts";
import { httpHandler, json } from "#shared/http/middleware.ts";
import { householdRoutes } from "#shared/http/routes/household.ts";
import { inviteHash, newInviteCode } from "#shared/listeners/join.ts";

export const handler = httpHandler(householdRoutes.adminInvite, async ({ body, deps, headers }) => {
  if (body.handle && (await deps.household.findByHandle(body.handle)))
    throw conflict(`the handle ${body.handle} is taken`);
  const now = deps.clock();
  const code = newInviteCode();
  const expires_at = new Date(now.getTime() + body.expires_in_hours * 3_600_000).toISOString();
  await deps.household.createInvite({
    code_hash: inviteHash(code),
    created_at: now.toISOString(),
    valid_until: expires_at,
    created_by: deps.listener,
    handle: body.handle ?? null,
  });
  // The link is where this very API answers; the code is shown once (only its hash is stored).
  const base = deps.config.SPOTIFY_REDIRECT_URI
    ? new URL(deps.config.SPOTIFY_REDIRECT_URI).origin
    : `http://${headers.host ?? "localhost"}`;
  return json({ code, url: `${base}/login?invite=${code}`, expires_at, handle: body.handle ?? null }, 201);
});
