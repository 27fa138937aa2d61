import { missingSpotifyConfig } from "#shared/config.ts";
import { badRequest, unavailable } from "#shared/http/errors.ts";
import { httpHandler } from "#shared/http/middleware.ts";
import { householdRoutes } from "#shared/http/routes/household.ts";
import { inviteHash } from "#shared/listeners/join.ts";
import { createOAuthState, createSpotifyClient } from "#shared/spotify/client.ts";

/**
 * Sign in with Spotify: off to Spotify's consent page; the callback then knows the account and
 * opens a session for its listener, or makes a member of it with the invite given here.
 */
export const handler = httpHandler(householdRoutes.login, async ({ query, deps }) => {
  const missing = missingSpotifyConfig(deps.config);
  if (missing.length > 0) {
    throw unavailable(`Spotify is not configured: set ${missing.join(", ")}`, "not_configured");
  }
  const invite_hash = query.invite ? inviteHash(query.invite) : undefined;
  // Checked now so a stale link says so before the Spotify round trip; taken at the callback.
  if (invite_hash && !(await deps.household.peekInvite(invite_hash, deps.clock()))) {
    throw badRequest("the invite was used already or has expired; ask the owner for a new one", [
      { field: "query.invite", message: "is used or expired" },
    ]);
  }
  const { state } = await createOAuthState(deps.cache, deps.clock(), { login: true, invite_hash });
  const url = createSpotifyClient(deps).authorizeUrl(state);
  return { status: 302, headers: { Location: url, "Cache-Control": "no-store" }, text: "" };
});
