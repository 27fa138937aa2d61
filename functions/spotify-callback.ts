import { createHash } from "node:crypto";
import { newSession, secureCookies } from "#shared/auth/session.ts";
import { kickLoop } from "#shared/capture/kick.ts";
import { missingSpotifyConfig } from "#shared/config.ts";
import { forListener } from "#shared/deps.ts";
import type { SpotifyLink } from "#shared/domain/entities.ts";
import { type HttpReply, httpHandler, json } from "#shared/http/middleware.ts";
import { spotifyRoutes } from "#shared/http/routes/spotify.ts";
import type { SpotifyCallbackResponse } from "#shared/http/schemas.ts";
import { applySpotifyLink } from "#shared/listeners/join.ts";
import { consumeOAuthState, createSpotifyClient } from "#shared/spotify/client.ts";
import { SpotifyError } from "#shared/spotify/types.ts";

/**
 * Where Spotify sends the browser back. A person usually lands here, so failures are a small
 * HTML page unless the client asks for JSON; either way they say what went wrong and where
 * to start again. The single-use state is this route's only credential.
 */

const RESTART = "Start again at /spotify/authorize.";

/** q-value the Accept header gives `type`, from its most specific matching range. */
function quality(accept: string, type: string): number {
  const [major] = type.split("/");
  let best = { specificity: -1, q: 0 };
  for (const part of accept.split(",")) {
    const [range = "", ...params] = part.trim().toLowerCase().split(";");
    const specificity = range === type ? 2 : range === `${major}/*` ? 1 : range === "*/*" ? 0 : -1;
    if (specificity <= best.specificity) continue;
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((v) => v !== undefined);
    best = { specificity, q: q === undefined ? 1 : Number(q) };
  }
  return best.q;
}

const prefersJson = (accept: string | undefined) =>
  accept !== undefined && quality(accept, "application/json") > quality(accept, "text/html");

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const STYLE = "body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem}";

/**
 * The page shows text and its one inline style, nothing else: no script, no loads, no forms,
 * no framing. The style is allowed by its hash, so even injected markup could not style
 * itself, let alone run.
 */
export const CALLBACK_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${createHash("sha256").update(STYLE).digest("base64")}'`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

function page(
  status: number,
  title: string,
  message: string,
  headers: Record<string, string> = {},
): HttpReply {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(title)} · hoardify</title>
<style>${STYLE}</style>
</head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>
`;
  return {
    status,
    text: html,
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Cache-Control": "no-store",
      "Content-Security-Policy": CALLBACK_CSP,
      ...headers,
    },
  };
}

export const handler = httpHandler(spotifyRoutes.spotifyCallback, async ({ query, headers, deps }) => {
  const asJson = prefersJson(headers.accept);
  const refuse = (
    status: number,
    code: string,
    message: string,
    extra: Record<string, string> = {},
    field?: "state" | "code" | "error",
  ) =>
    asJson
      ? json(
          {
            error: code,
            message: `${message} ${RESTART}`,
            ...(field ? { fields: [{ field: `query.${field}`, message }] } : {}),
          },
          status,
          extra,
        )
      : page(status, "Spotify was not linked", `${message} ${RESTART}`, extra);

  const missing = missingSpotifyConfig(deps.config);
  if (missing.length > 0) {
    return refuse(503, "not_configured", `Spotify is not configured: set ${missing.join(", ")}.`);
  }
  if (!query.state) return refuse(400, "missing_state", "The callback has no state parameter.", {}, "state");
  const check = await consumeOAuthState(deps.cache, query.state);
  if (check === "unknown") {
    return refuse(
      400,
      "invalid_state",
      "The state is unknown or expired (it lives 10 minutes).",
      {},
      "state",
    );
  }
  if (check === "used") return refuse(400, "state_used", "This authorization was already used.", {}, "state");
  const { purpose } = check;
  if (query.error) {
    return query.error === "access_denied"
      ? refuse(400, "access_denied", "Access was declined on Spotify's consent page.", {}, "error")
      : refuse(400, "spotify_error", `Spotify reported an error: ${query.error}.`, {}, "error");
  }
  if (!query.code) return refuse(400, "missing_code", "The callback has no code parameter.", {}, "code");

  let link: SpotifyLink;
  try {
    // Whose link it is may only be known from Spotify's answer (signing in): stored below.
    link = await createSpotifyClient(deps).exchangeCode(query.code, { keep: false });
  } catch (err) {
    if (!(err instanceof SpotifyError)) throw err;
    const f = err.fault;
    if (f.type === "revoked") return refuse(400, "code_rejected", `${f.message}.`, {}, "code");
    if (f.type === "rate_limited") {
      return refuse(429, "rate_limited", `Spotify is rate limiting; wait ${f.retryAfterSeconds} s.`, {
        "Retry-After": String(Math.max(1, f.retryAfterSeconds)),
      });
    }
    return refuse(503, "spotify_unavailable", `Spotify could not be reached: ${f.message}.`);
  }

  const outcome = await applySpotifyLink(deps, purpose, link);
  if (!outcome.ok) return refuse(outcome.status, outcome.code, outcome.message);
  const own = forListener(deps, outcome.listener.listener_id);
  // Signing in (members, or the owner in a browser) opens a session.
  const cookie =
    "login" in purpose && deps.config.SECRET_KEY
      ? {
          "Set-Cookie": await newSession({
            secret: deps.config.SECRET_KEY,
            listener: outcome.listener.listener_id,
            ttlSeconds: deps.config.ACCESS_TOKEN_EXPIRE_MINUTES * 60,
            now: deps.clock(),
            secure: secureCookies(deps.config),
          }),
        }
      : undefined;
  // Start recording now: the first song after linking is followed live, not left to the watchdog.
  const loop = await kickLoop(own);
  const name = link.display_name ?? link.user_id ?? "your Spotify account";
  if (!asJson) {
    return page(
      200,
      `Linked as ${name}`,
      `Listening history is now recorded${outcome.joined ? `; your handle is ${outcome.listener.handle}` : ""}. You can close this tab.`,
      cookie,
    );
  }
  const reply: SpotifyCallbackResponse = {
    linked: true,
    user_id: link.user_id,
    display_name: link.display_name,
    loop,
    handle: outcome.listener.handle,
    joined: outcome.joined,
  };
  return json(reply, 200, cookie);
});
