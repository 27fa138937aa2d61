import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { cacheKeys } from "#shared/cache/keys.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import { logger } from "#shared/logger.ts";
import { createSpotifyClient, SPOTIFY_SCOPES } from "#shared/spotify/client.ts";
import { SpotifyError } from "#shared/spotify/types.ts";
import { bearer, startTestApp, type TestApp } from "#test/support/app.ts";
import { appEnvFor, type FakeSpotify, startFakeSpotify } from "#test/support/fake-spotify.ts";

/**
 * Linking Spotify through the local HTTP server: GET /spotify/authorize, the fake's consent
 * redirect followed by hand, GET /spotify/callback, and /health. The fake and the app share
 * the app's controllable clock.
 */

logger.setLogLevel("SILENT");

type ErrorBody = { error: string; message: string };
const JSON_ACCEPT = { accept: "application/json" };
const BROWSER_ACCEPT = {
  accept: "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8",
};
const REDIRECT_URI = "http://localhost:8000/spotify/callback";

describe("Spotify not configured", () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  test("authorize answers 503 naming the missing SPOTIFY_* variables", async () => {
    const res = await fetch(`${app.url}/spotify/authorize`, {
      headers: { authorization: `Bearer ${await bearer(app)}` },
    });
    assert.equal(res.status, 503);
    const body = (await res.json()) as ErrorBody;
    assert.equal(body.error, "not_configured");
    for (const name of ["SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET", "SPOTIFY_REDIRECT_URI"]) {
      assert.ok(body.message.includes(name), name);
    }
  });

  test("the callback answers 503 too", async () => {
    const res = await fetch(`${app.url}/spotify/callback?code=x&state=${"a".repeat(43)}`, {
      headers: JSON_ACCEPT,
    });
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as ErrorBody).error, "not_configured");
  });
});

describe("linking Spotify", () => {
  let app: TestApp | undefined;
  let fake: FakeSpotify;
  let token: string;
  const started = Date.parse("2026-11-21T12:00:00.000Z");

  before(async () => {
    fake = await startFakeSpotify({ now: () => app?.deps.clock().getTime() ?? started });
    app = await startTestApp({
      ...appEnvFor(fake, REDIRECT_URI),
    });
    token = await bearer(app);
  });
  after(async () => {
    await app?.close();
    await fake.stop();
  });

  const base = () => app?.url ?? assert.fail("app not started");

  async function authorize(): Promise<{ url: string; state: string; expires_in: number }> {
    const res = await fetch(`${base()}/spotify/authorize`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200);
    return (await res.json()) as { url: string; state: string; expires_in: number };
  }

  /** What the browser does on Spotify's page: consent, then follow the 302 back to us. */
  async function consent(url: string): Promise<URLSearchParams> {
    const res = await fetch(url, { redirect: "manual" });
    assert.equal(res.status, 302);
    const location = new URL(res.headers.get("location") ?? assert.fail("no Location"));
    assert.equal(`${location.origin}${location.pathname}`, REDIRECT_URI);
    return location.searchParams;
  }

  const callback = (params: URLSearchParams | string, headers: Record<string, string> = JSON_ACCEPT) =>
    fetch(`${base()}/spotify/callback?${params}`, { headers });

  async function health(): Promise<{
    configured: boolean;
    missing: string[];
    linked: boolean;
    needs_reauth: boolean;
  }> {
    const res = await fetch(`${base()}/health`);
    return (
      (await res.json()) as {
        spotify: { configured: boolean; missing: string[]; linked: boolean; needs_reauth: boolean };
      }
    ).spotify;
  }

  test("authorize needs the bearer token", async () => {
    const res = await fetch(`${base()}/spotify/authorize`);
    assert.equal(res.status, 401);
  });

  test("authorize returns the consent URL and a fresh single-use state kept 10 minutes", async () => {
    const a = await authorize();
    const b = await authorize();
    assert.notEqual(a.state, b.state);
    assert.match(a.state, /^[A-Za-z0-9_-]{43}$/, "256 random bits, base64url");
    assert.equal(a.expires_in, 600);
    const url = new URL(a.url);
    assert.equal(`${url.origin}${url.pathname}`, `${fake.accountsUrl}/authorize`);
    assert.deepEqual(Object.fromEntries(url.searchParams), {
      client_id: "fake-client-id",
      response_type: "code",
      redirect_uri: REDIRECT_URI,
      scope:
        "user-read-currently-playing user-read-playback-state user-read-recently-played user-top-read user-library-read",
      state: a.state,
    });
    assert.equal(SPOTIFY_SCOPES, url.searchParams.get("scope"));
    assert.equal(await app?.deps.cache.ttlMs(`oauth:state:${a.state}`), 600_000);
  });

  test("?redirect=true answers 302 straight to Spotify", async () => {
    const res = await fetch(`${base()}/spotify/authorize?redirect=true`, {
      headers: { authorization: `Bearer ${token}` },
      redirect: "manual",
    });
    assert.equal(res.status, 302);
    const location = new URL(res.headers.get("location") ?? assert.fail("no Location"));
    assert.equal(`${location.origin}${location.pathname}`, `${fake.accountsUrl}/authorize`);
    const state = location.searchParams.get("state") ?? assert.fail("no state");
    assert.notEqual(await app?.deps.cache.get(`oauth:state:${state}`), null);
  });

  test("the full flow links the account: JSON answer, link in DynamoDB, /health linked", async () => {
    assert.deepEqual(await health(), { configured: true, missing: [], linked: false, needs_reauth: false });
    const { url, state } = await authorize();
    const params = await consent(url);
    assert.equal(params.get("state"), state);
    const res = await callback(params);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      linked: true,
      user_id: "fakeuser",
      display_name: "Fake User",
      // No loop in this test app; the capture-gap tests start one.
      loop: "no_starter",
      // /spotify/authorize with the owner's token links the owner's listener.
      handle: "owner",
      joined: false,
    });
    assert.deepEqual(await health(), { configured: true, missing: [], linked: true, needs_reauth: false });
    const link = await app?.deps.store.getSpotifyLink();
    assert.match(link?.refresh_token ?? "", /^AQ/);
    assert.equal(link?.linked_at, app?.deps.clock().toISOString());
    // Whose account it is is known only from Spotify's answer (a member may be signing in), so
    // the callback keeps the link, not the access token: no listener's key holds it yet.
    assert.equal(await app?.deps.cache.get(cacheKeys.accessToken(OWNER_ID)), null);
  });

  test("a browser gets an HTML page saying who was linked", async () => {
    const { url } = await authorize();
    const res = await callback(await consent(url), BROWSER_ACCEPT);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
    const html = await res.text();
    assert.match(html, /Linked as Fake User/);
    // A strict CSP: nothing but the page's own inline style, allowed by its hash.
    const csp = res.headers.get("content-security-policy") ?? "";
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe|script-src/);
    const style = /<style>(.*?)<\/style>/s.exec(html)?.[1] ?? assert.fail("no style");
    assert.ok(csp.includes(`'sha256-${createHash("sha256").update(style).digest("base64")}'`));
  });

  test("a state works once: the replay is refused, in JSON and in HTML", async () => {
    const { url } = await authorize();
    const params = await consent(url);
    assert.equal((await callback(params)).status, 200);
    const again = await callback(params);
    assert.equal(again.status, 400);
    const body = (await again.json()) as ErrorBody;
    assert.equal(body.error, "state_used");
    assert.match(body.message, /already used/);
    assert.match(body.message, /\/spotify\/authorize/);
    const html = await callback(params, BROWSER_ACCEPT);
    assert.equal(html.status, 400);
    assert.match(html.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(html.headers.get("content-security-policy") ?? "", /default-src 'none'/);
    const text = await html.text();
    assert.match(text, /already used/);
    assert.match(text, /\/spotify\/authorize/);
  });

  test("two concurrent callbacks with one state: exactly one links", async () => {
    const { url } = await authorize();
    const params = await consent(url);
    // Slow state reads so all three callbacks have read the state before any consumes it:
    // only an atomic consume lets exactly one through.
    const cache = app?.deps.cache ?? assert.fail("no app");
    const realGet = cache.get.bind(cache);
    cache.get = (async (key: string) => {
      const value = await realGet(key);
      if (key.startsWith("oauth:state:")) await new Promise((r) => setTimeout(r, 100));
      return value;
    }) as typeof cache.get;
    let answers: Response[];
    try {
      answers = await Promise.all([callback(params), callback(params), callback(params)]);
    } finally {
      cache.get = realGet;
    }
    const statuses = answers.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 400, 400]);
    for (const r of answers.filter((x) => x.status === 400)) {
      assert.equal(((await r.json()) as ErrorBody).error, "state_used");
    }
  });

  const rejects = async (
    params: URLSearchParams | string,
    code: string,
    pattern: RegExp,
    status = 400,
  ): Promise<void> => {
    const res = await callback(params);
    assert.equal(res.status, status);
    const body = (await res.json()) as ErrorBody;
    assert.equal(body.error, code);
    assert.match(body.message, pattern);
    assert.match(body.message, /start again at \/spotify\/authorize/i);
  };

  test("missing state", async () => {
    await rejects("code=abc", "missing_state", /no state/);
    const html = await callback("code=abc", {});
    assert.equal(html.status, 400);
    assert.match(html.headers.get("content-type") ?? "", /^text\/html/, "no Accept: the browser page");
    assert.match(await html.text(), /Start again at \/spotify\/authorize/);
  });

  test("unknown state", async () => {
    await rejects(
      new URLSearchParams({ code: "abc", state: "A".repeat(43) }),
      "invalid_state",
      /unknown or expired/,
    );
    await rejects(
      new URLSearchParams({ code: "abc", state: "../../etc" }),
      "invalid_state",
      /unknown or expired/,
    );
  });

  test("expired state (older than 10 minutes)", async () => {
    const { url } = await authorize();
    const params = await consent(url);
    app?.advance(10 * 60_000 + 1000);
    await rejects(params, "invalid_state", /unknown or expired/);
  });

  test("access denied on Spotify's page, and the state is spent", async () => {
    const { url, state } = await authorize();
    fake.denyNextAuthorization();
    const params = await consent(url);
    assert.equal(params.get("error"), "access_denied");
    assert.equal(params.get("code"), null);
    assert.equal(params.get("state"), state);
    await rejects(params, "access_denied", /declined/);
    await rejects(params, "state_used", /already used/);
  });

  test("missing code", async () => {
    const { state } = await authorize();
    await rejects(new URLSearchParams({ state }), "missing_code", /no code/);
  });

  test("a code Spotify refuses (invalid_grant) is a 400", async () => {
    const { state } = await authorize();
    await rejects(
      new URLSearchParams({ state, code: "AQnot-a-real-code" }),
      "code_rejected",
      /invalid_grant/,
    );
  });

  test("Spotify down during the exchange is a 503", async () => {
    const { url } = await authorize();
    const params = await consent(url);
    fake.faults.next(3, { status: 503 }, (_m, path) => path === "/accounts/api/token");
    await rejects(params, "spotify_unavailable", /HTTP 503/, 503);
    assert.equal(fake.faults.pending(), 0);
  });

  test("/health shows a revoke, and linking again clears it", async () => {
    const deps = app?.deps ?? assert.fail("no app");
    assert.equal((await health()).linked, true);
    fake.revokeRefreshTokens();
    fake.expireAccessTokens();
    await assert.rejects(
      createSpotifyClient(deps).currentPlayback(),
      (err: unknown) => err instanceof SpotifyError && err.fault.type === "revoked",
    );
    assert.deepEqual(await health(), { configured: true, missing: [], linked: true, needs_reauth: true });

    const { url } = await authorize();
    assert.equal((await callback(await consent(url))).status, 200);
    assert.deepEqual(await health(), { configured: true, missing: [], linked: true, needs_reauth: false });
    assert.deepEqual(await createSpotifyClient(deps).currentPlayback(), { type: "nothing" });
  });
});
