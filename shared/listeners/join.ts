import { createHash, randomBytes } from "node:crypto";
import type { Deps } from "../deps.ts";
import type { SpotifyLink } from "../domain/entities.ts";
import { handleSchema, type Listener, OWNER_ID } from "../domain/listener.ts";
import type { OAuthPurpose } from "../spotify/client.ts";

/**
 * Who a Spotify consent was for, and what becomes of the link it produced: a known listener
 * linking (again), a listener signing in, or a newcomer joining with an invite. Nobody else
 * allowlisted in the Spotify app gets in without an invite.
 */

export type LinkOutcome =
  | { ok: true; listener: Listener; joined: boolean }
  | { ok: false; status: 400 | 403 | 409 | 503; code: string; message: string };

/** The stored form of an invite code: a leaked table does not hand out working invites. */
export const inviteHash = (code: string) => createHash("sha256").update(code).digest("base64url");

export const newInviteCode = () => randomBytes(32).toString("base64url");

const newListenerId = () => `m${randomBytes(9).toString("base64url")}`;

/** A handle from a Spotify name: lower case, URL-safe, 2-32 characters. */
export function handleFrom(name: string): string {
  const slug = name
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/^[-_]+|[-_]+$/g, "")
    .slice(0, 24);
  return handleSchema.safeParse(slug).success ? slug : `listener-${randomBytes(3).toString("hex")}`;
}

export async function applySpotifyLink(
  deps: Pick<Deps, "household" | "clock">,
  purpose: OAuthPurpose,
  link: SpotifyLink,
): Promise<LinkOutcome> {
  const { household } = deps;
  const now = deps.clock();
  if ("listener" in purpose) {
    const listener = await household.getListener(purpose.listener);
    if (!listener || listener.removing_since)
      return refuse(403, "listener_gone", "The listener who started this link no longer exists.");
    if (link.user_id) {
      const taken = await household.setAccount(listener.listener_id, link.user_id, link.display_name);
      if (taken === "account_taken")
        return refuse(409, "account_taken", "This Spotify account is another listener's in this household.");
    }
    await household.storeOf(listener.listener_id).saveSpotifyLink(link);
    return { ok: true, listener, joined: false };
  }
  if (!link.user_id)
    return refuse(503, "spotify_unavailable", "Spotify did not say which account signed in.");
  const known = await household.findBySpotifyId(link.user_id);
  // Not linked again mid-purge: the removal dropped the link first so nobody asks Spotify.
  if (known?.removing_since)
    return refuse(403, "listener_removed", "This account is being removed from the household.");
  if (known) {
    await household.storeOf(known.listener_id).saveSpotifyLink(link);
    return { ok: true, listener: known, joined: false };
  }
  if (!purpose.invite_hash)
    return refuse(
      403,
      "not_invited",
      "This Spotify account is not a listener here. Ask the owner for an invite link.",
    );
  const invite = await household.takeInvite(purpose.invite_hash, now);
  if (!invite) return refuse(400, "invite_invalid", "The invite was used already or has expired.");
  const base = invite.handle ?? handleFrom(link.display_name ?? link.user_id);
  for (let attempt = 0; attempt < 5; attempt++) {
    const handle =
      attempt === 0 && base !== OWNER_ID ? base : `${base.slice(0, 26)}-${randomBytes(2).toString("hex")}`;
    const listener: Listener = {
      listener_id: newListenerId(),
      handle,
      role: "member",
      spotify_id: link.user_id,
      display_name: link.display_name,
      created_at: now.toISOString(),
      last_seen_at: now.toISOString(),
      public: false,
    };
    const added = await household.addListener(listener);
    if (added === "account_taken")
      return refuse(409, "account_taken", "This Spotify account joined meanwhile; sign in at /login.");
    if (added === "created") {
      await household.storeOf(listener.listener_id).saveSpotifyLink(link);
      return { ok: true, listener, joined: true };
    }
  }
  return refuse(409, "handle_taken", "No free handle was found; ask the owner for an invite naming one.");
}

const refuse = (status: 400 | 403 | 409 | 503, code: string, message: string): LinkOutcome => ({
  ok: false,
  status,
  code,
  message,
});
