import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { FIRST_PAGE_BUDGET_BYTES, firstPageGzipBytes } from "#infra/web/build.ts";
import { MANIFEST_FILE, type WebManifest } from "#shared/web/assets.ts";
import { startTestApp, TEST_PASSWORD, type TestApp } from "#test/support/app.ts";
import { webAssetsDir } from "#test/support/services.ts";

/**
 * The dashboard's serving over HTTP (the local server, the handlers Lambda runs): the shell and
 * its policy, the hashed files and their caching and encodings, page paths, the password
 * sign-in's session cookie and the CSRF check it meets, and the first page's size budget.
 */

let app: TestApp;
let manifest: WebManifest;

before(async () => {
  app = await startTestApp();
  manifest = JSON.parse(readFileSync(join(await webAssetsDir(), MANIFEST_FILE), "utf8")) as WebManifest;
});
after(() => app.close());

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${app.url}${path}`, { headers });

describe("the shell", () => {
  test("GET / is the shell: a strict CSP, no inline script or style, the hashed entry files", async () => {
    const res = await get("/");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
    assert.equal(res.headers.get("cache-control"), "no-cache");
    const csp = res.headers.get("content-security-policy") ?? "";
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "connect-src 'self'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "form-action 'self'",
    ]) {
      assert.ok(csp.split("; ").includes(directive), `CSP has ${directive}: ${csp}`);
    }
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const html = await res.text();
    // Every script has a src and no body; no <style> element, no style attribute.
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.equal(scripts.length, 1);
    for (const [, attrs, body] of scripts) {
      assert.match(attrs ?? "", /src="\/assets\/main-[A-Z0-9]+\.js"/);
      assert.equal(body, "");
    }
    assert.doesNotMatch(html, /<style|style=/i);
    assert.ok(html.includes(`/assets/${manifest.entry.js}`));
    assert.ok(manifest.entry.css && html.includes(`/assets/${manifest.entry.css}`));
  });

  test("every page path answers the same shell (reloads and shared links work); others a JSON 400", async () => {
    const shell = await (await get("/")).text();
    for (const path of [
      "/app/overview",
      "/app/history?range=7d",
      "/app/tracks/4uLU6hMCjMI75M1A2tKUQC",
      "/app/year/2025",
      "/app/signin",
    ]) {
      const res = await get(path);
      assert.equal(res.status, 200, path);
      assert.equal(await res.text(), shell, path);
    }
    for (const path of ["/app/nope", "/app/overview/extra", "/app/tracks", "/app/tracks/a/b"]) {
      const res = await get(path);
      assert.equal(res.status, 400, path);
      const body = (await res.json()) as { error: string; fields: { field: string }[] };
      assert.equal(body.fields[0]?.field, "path.page", path);
    }
  });
});

describe("the files", () => {
  test("each file: immutable for a year, brotli or gzip as accepted, the same bytes decoded", async () => {
    for (const [name, entry] of Object.entries(manifest.files)) {
      const plain = await get(`/assets/${name}`, { "accept-encoding": "identity" });
      assert.equal(plain.status, 200, name);
      assert.equal(plain.headers.get("cache-control"), "public, max-age=31536000, immutable");
      assert.equal(plain.headers.get("content-type"), entry.type);
      assert.equal(plain.headers.get("content-encoding"), null);
      const raw = Buffer.from(await plain.arrayBuffer());
      assert.equal(raw.length, entry.bytes);
      // fetch decodes what it asked for itself: ask through the raw headers instead.
      for (const [accept, encoding, decode] of [
        ["gzip", "gzip", gunzipSync],
        ["gzip, deflate, br", "br", brotliDecompressSync],
      ] as const) {
        const res = await rawGet(`/assets/${name}`, accept);
        assert.equal(res.headers["content-encoding"], encoding, `${name} ${accept}`);
        assert.equal(res.headers.vary, "Accept-Encoding");
        assert.deepEqual(decode(res.body), raw, `${name} ${encoding}`);
      }
    }
  });

  test("an unknown file is a JSON 404, a name that is no built file's a JSON 400", async () => {
    const missing = await get("/assets/main-AAAAAAAA.js");
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: string }).error, "not_found");
    for (const name of ["..%2Fmanifest.json", "manifest.json", "main.js.gz", "x.html"]) {
      const res = await get(`/assets/${name}`);
      assert.equal(res.status, 400, name);
      assert.equal(((await res.json()) as { fields: { field: string }[] }).fields[0]?.field, "path.file");
    }
  });

  test(`the first page loads at most ${FIRST_PAGE_BUDGET_BYTES / 1024} KB of script and style, gzipped`, () => {
    const bytes = firstPageGzipBytes(manifest);
    assert.ok(bytes > 1000, `${bytes} bytes: the entry files are counted`);
    assert.ok(
      bytes <= FIRST_PAGE_BUDGET_BYTES,
      `${bytes} bytes gzipped, over the ${FIRST_PAGE_BUDGET_BYTES} budget`,
    );
  });

  test("without a build the routes say so in JSON (503 not_configured), never a 500", async () => {
    const bare = await startTestApp({ WEB_ASSETS_DIR: mkdtempSync(join(tmpdir(), "hoardify-no-web-")) });
    try {
      for (const path of ["/", "/app/overview", "/assets/main-AAAAAAAA.js"]) {
        const res = await fetch(`${bare.url}${path}`);
        assert.equal(res.status, 503, path);
        const body = (await res.json()) as { error: string; message: string };
        assert.equal(body.error, "not_configured");
        assert.match(body.message, /dashboard is not built/);
      }
    } finally {
      await bare.close();
    }
  });
});

describe("signing in with the password (POST /login)", () => {
  const form = (password: string) =>
    fetch(`${app.url}/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ username: "admin", password }),
    });

  test("the right password sets an httpOnly SameSite=Lax session cookie; a wrong one is a JSON 401", async () => {
    const wrong = await form("nope");
    assert.equal(wrong.status, 401);
    assert.equal(((await wrong.json()) as { error: string }).error, "unauthorized");
    assert.equal(wrong.headers.get("set-cookie"), null);

    const res = await form(TEST_PASSWORD);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      signed_in: true,
      listener: "owner",
      expires_in: app.config.ACCESS_TOKEN_EXPIRE_MINUTES * 60,
    });
    const cookie = res.headers.get("set-cookie") ?? "";
    assert.match(
      cookie,
      /^hoardify_session=[\w-]+\.[\w-]+\.[\w-]+; Path=\/; Max-Age=3600; HttpOnly; SameSite=Lax$/,
    );
    // No token in the body: script never holds one.
    const session = cookie.split(";")[0] ?? "";
    const me = await fetch(`${app.url}/me`, { headers: { cookie: session } });
    assert.equal(me.status, 200);
    assert.equal(((await me.json()) as { role: string }).role, "owner");

    // A change made with the cookie must come from this site (the middleware's CSRF check).
    const id = encodeURIComponent("2026-11-21T10:00:00.000Z#nothing");
    const foreign = await fetch(`${app.url}/plays/${id}`, {
      method: "DELETE",
      headers: { cookie: session, origin: "https://evil.example" },
    });
    assert.equal(foreign.status, 403);
    assert.equal(((await foreign.json()) as { error: string }).error, "csrf_origin");
    const own = await fetch(`${app.url}/plays/${id}`, {
      method: "DELETE",
      headers: { cookie: session, origin: app.url },
    });
    assert.equal(own.status, 404, "reaches the route: no such play");
  });
});

/** A GET with an explicit Accept-Encoding whose body is left encoded (fetch would decode it). */
async function rawGet(path: string, acceptEncoding: string) {
  const { request } = await import("node:http");
  return new Promise<{ headers: Record<string, string | undefined>; body: Buffer }>((ok, fail) => {
    const req = request(`${app.url}${path}`, { headers: { "accept-encoding": acceptEncoding } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        ok({ headers: res.headers as Record<string, string | undefined>, body: Buffer.concat(chunks) }),
      );
    });
    req.on("error", fail);
    req.end();
  });
}
