import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { cacheKeys } from "#shared/cache/keys.ts";
import { setDeps } from "#shared/deps.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import { openApiPath } from "#shared/http/openapi.ts";
import { audienceOf } from "#shared/http/route.ts";
import { routeList } from "#shared/http/routes.ts";
import { bearer, login, startTestApp, TEST_SECRET, type TestApp } from "#test/support/app.ts";

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

type ErrorBody = { error: string; message: string; fields?: { field: string; message: string }[] };

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");

describe("GET /health", () => {
  test("answers 200 with version, reachable storage and Spotify state", async () => {
    const res = await fetch(`${app.url}/health`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as Record<string, Record<string, unknown>>;
    assert.equal(body.status as unknown, "ok");
    assert.match(String(body.version), /^\d+\.\d+\.\d+/);
    assert.equal(body.storage?.reachable, true);
    assert.equal(body.storage?.table, app.config.TABLE_NAME);
    assert.deepEqual(body.spotify, {
      configured: false,
      missing: ["SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET", "SPOTIFY_REDIRECT_URI"],
      linked: false,
      needs_reauth: false,
    });
  });

  test("shows when the loop last heard from Spotify", async () => {
    const first = (await (await fetch(`${app.url}/health`)).json()) as { loop: unknown };
    assert.deepEqual(first.loop, { last_successful_poll_at: null });
    const at = "2026-11-21T11:59:00.000Z";
    await app.deps.cache.set(cacheKeys.status(OWNER_ID), { last_successful_poll_at: at });
    const second = (await (await fetch(`${app.url}/health`)).json()) as { loop: unknown };
    assert.deepEqual(second.loop, { last_successful_poll_at: at });
    await app.deps.cache.del(cacheKeys.status(OWNER_ID));
  });

  test("a half-set Spotify app: /health names what is missing, only the Spotify routes answer 503", async () => {
    // A second deploy that forgot one setting must not take the whole API down with it.
    const half = await startTestApp({ SPOTIFY_CLIENT_ID: "only-the-id" });
    try {
      const health = await fetch(`${half.url}/health`);
      assert.equal(health.status, 503);
      const body = (await health.json()) as { status: string; spotify: { missing: string[] } };
      assert.equal(body.status, "degraded");
      assert.deepEqual(body.spotify.missing, ["SPOTIFY_CLIENT_SECRET", "SPOTIFY_REDIRECT_URI"]);

      const token = await bearer(half);
      const plays = await fetch(`${half.url}/plays`, { headers: { authorization: `Bearer ${token}` } });
      assert.equal(plays.status, 200);
      const authorize = await fetch(`${half.url}/spotify/authorize`, {
        headers: { authorization: `Bearer ${token}` },
      });
      assert.equal(authorize.status, 503);
      const err = (await authorize.json()) as ErrorBody;
      assert.equal(err.error, "not_configured");
      assert.match(err.message, /SPOTIFY_CLIENT_SECRET, SPOTIFY_REDIRECT_URI/);
    } finally {
      await half.close();
      setDeps(app.deps);
    }
  });
});

describe("POST /token", () => {
  test("the right password gets a bearer token that opens protected routes", async () => {
    const res = await login(app);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { access_token: string; token_type: string; expires_in: number };
    assert.equal(body.token_type, "bearer");
    assert.equal(body.expires_in, 3600);
    const plays = await fetch(`${app.url}/plays`, {
      headers: { authorization: `Bearer ${body.access_token}` },
    });
    assert.equal(plays.status, 200);
    assert.deepEqual(await plays.json(), { items: [], next_cursor: null });
  });

  test("a wrong password is 401", async () => {
    const res = await login(app, "nope");
    assert.equal(res.status, 401);
    assert.equal(((await res.json()) as ErrorBody).error, "unauthorized");
  });

  test("missing form fields are 422 naming each of them", async () => {
    const res = await fetch(`${app.url}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "username=admin",
    });
    assert.equal(res.status, 422);
    const body = (await res.json()) as ErrorBody;
    assert.deepEqual(
      body.fields?.map((f) => f.field),
      ["body.password"],
    );
    const empty = await fetch(`${app.url}/token`, { method: "POST" });
    assert.equal(empty.status, 422);
    const fields = ((await empty.json()) as ErrorBody).fields?.map((f) => f.field).sort();
    assert.deepEqual(fields, ["body.password", "body.username"]);
  });

  test("JSON where the form is expected is 422 saying so", async () => {
    const res = await fetch(`${app.url}/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "admin", password: "x" }),
    });
    assert.equal(res.status, 422);
    const body = (await res.json()) as ErrorBody;
    assert.equal(body.fields?.[0]?.field, "body");
    assert.match(body.message, /x-www-form-urlencoded/);
  });

  test("20 failed logins in a row: 401 up to the limit, then 429 with Retry-After, even for the right password", async () => {
    // A successful login clears this client's earlier failures.
    assert.equal((await login(app)).status, 200);
    const attempt = (password: string) => login(app, password);
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 20; i++) {
      const res = await attempt(`wrong-${i}`);
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get("retry-after");
      await res.body?.cancel();
    }
    const max = app.config.LOGIN_MAX_FAILURES;
    assert.deepEqual(statuses, [...Array(max).fill(401), ...Array(20 - max).fill(429)]);
    assert.ok(retryAfter && Number(retryAfter) > 0 && Number(retryAfter) <= app.config.LOGIN_WINDOW_SECONDS);
    const blocked = await login(app);
    assert.equal(blocked.status, 429, "the right password is refused while blocked");
    app.advance(app.config.LOGIN_WINDOW_SECONDS * 1000 + 1);
    assert.equal((await login(app)).status, 200, "the block lifts after the window");
  });
});

describe("bearer auth on protected routes", () => {
  const get = (auth?: string) => fetch(`${app.url}/plays`, auth ? { headers: { authorization: auth } } : {});

  async function assert401(res: Response, reason: RegExp) {
    assert.equal(res.status, 401);
    assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer/);
    const body = (await res.json()) as ErrorBody;
    assert.equal(body.error, "unauthorized");
    assert.match(body.message, reason);
  }

  test("missing header", async () => assert401(await get(), /missing Authorization/));
  test("not a Bearer header", async () => assert401(await get("Basic YWRtaW46eA=="), /Bearer <token>/));
  test("garbage token", async () => assert401(await get("Bearer not.a.jwt"), /malformed/));

  test("tampered payload", async () => {
    const [h, , s] = (await bearer(app)).split(".");
    const forged = b64url({ sub: "admin", iss: "hoardify", aud: "hoardify-api", iat: 1, exp: 9_999_999_999 });
    await assert401(await get(`Bearer ${h}.${forged}.${s}`), /signature/);
  });

  test("alg: none", async () => {
    const now = Math.floor(app.deps.clock().getTime() / 1000);
    const token = `${b64url({ alg: "none", typ: "JWT" })}.${b64url({ sub: "admin", iss: "hoardify", aud: "hoardify-api", iat: now, exp: now + 60 })}.`;
    await assert401(await get(`Bearer ${token}`), /algorithm|malformed/);
  });

  test("signed with another secret", async () => {
    const { issueToken } = await import("#shared/auth/jwt.ts");
    const token = await issueToken({
      secret: `${TEST_SECRET}-other`,
      subject: "admin",
      ttlSeconds: 60,
      now: app.deps.clock(),
    });
    await assert401(await get(`Bearer ${token}`), /signature/);
  });

  test("expired", async () => {
    const token = await bearer(app);
    assert.equal((await get(`Bearer ${token}`)).status, 200);
    app.advance(app.config.ACCESS_TOKEN_EXPIRE_MINUTES * 60_000 + 1000);
    await assert401(await get(`Bearer ${token}`), /expired/);
  });
});

describe("input validation and unknown routes", () => {
  test("bad query parameters are 400 naming each", async () => {
    const token = await bearer(app);
    const res = await fetch(`${app.url}/plays?limit=0&from=yesterday`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 400);
    const fields = ((await res.json()) as ErrorBody).fields?.map((f) => f.field).sort();
    assert.deepEqual(fields, ["query.from", "query.limit"]);
  });

  test("a forged cursor is 400, not a storage error", async () => {
    const token = await bearer(app);
    const res = await fetch(`${app.url}/plays?cursor=${b64url({ pk: "TRACK#x", evil: 1 })}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as ErrorBody).fields?.[0]?.field, "query.cursor");
  });

  test("unknown route is a JSON 404; wrong method a 405 with Allow", async () => {
    const res = await fetch(`${app.url}/no/such/thing`);
    assert.equal(res.status, 404);
    assert.match(res.headers.get("content-type") ?? "", /application\/json/);
    assert.equal(((await res.json()) as ErrorBody).error, "not_found");
    const wrong = await fetch(`${app.url}/health`, { method: "DELETE" });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get("allow"), "GET");
  });

  test("no response carries a stack trace", async () => {
    const res = await fetch(`${app.url}/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    const text = await res.text();
    assert.doesNotMatch(text, /at \w+ \(|\.ts:\d+/);
  });
});

describe("OpenAPI", () => {
  test("/openapi.json describes every route of the route table", async () => {
    const res = await fetch(`${app.url}/openapi.json`);
    assert.equal(res.status, 200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<string, { security?: unknown; parameters?: { name: string; in: string }[] }>
      >;
      components: { schemas: Record<string, { required?: string[] }> };
    };
    assert.equal(doc.openapi, "3.1.0");
    for (const r of routeList) {
      const op = doc.paths[openApiPath(r.path)]?.[r.method.toLowerCase()];
      assert.ok(op, `${r.method} ${r.path} is documented`);
      assert.equal(Boolean(op.security), r.auth === "bearer", `${r.id} security matches its auth flag`);
      // The owner's ?listener=<handle> is documented exactly where the middleware honours it.
      const kind = audienceOf(r);
      assert.equal(
        (op.parameters ?? []).some((p) => p.name === "listener" && p.in === "query"),
        kind === "listener" || kind === "owner",
        `${r.id} documents ?listener= only when it acts for a listener`,
      );
    }
    const token = doc.paths["/token"]?.post as unknown as {
      requestBody: { content: Record<string, { schema: { $ref: string } }> };
    };
    const ref = token.requestBody.content["application/x-www-form-urlencoded"]?.schema.$ref ?? "";
    assert.equal(ref, "#/components/schemas/TokenForm");
    assert.deepEqual(doc.components.schemas.TokenForm?.required, ["username", "password"]);
  });

  test("/docs is an HTML page listing every path", async () => {
    const res = await fetch(`${app.url}/docs`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/html/);
    const html = await res.text();
    for (const r of routeList) assert.ok(html.includes(`<code>${openApiPath(r.path)}</code>`), r.path);
  });
});
