import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { SignJWT } from "jose";
import { JWT_AUDIENCE, JWT_ISSUER } from "#shared/auth/jwt.ts";
import { recordListen } from "#shared/capture/record.ts";
import { mapLimit } from "#shared/concurrency.ts";
import type { Play } from "#shared/domain/entities.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import { buildOpenApi } from "#shared/http/openapi.ts";
import { routeList } from "#shared/http/routes.ts";
import { bearer, startTestApp, TEST_SECRET, type TestApp } from "#test/support/app.ts";
import { type LyricsFakes, startLyricsFakes } from "#test/support/fake-lyrics.ts";
import { appEnvFor, type FakeSpotify, startFakeSpotify } from "#test/support/fake-spotify.ts";
import { generatePlays } from "#test/support/plays.ts";

/**
 * Hostile input, over HTTP against the local server on DynamoDB Local: every route of the route
 * table, every parameter its zod schemas declare (read through the OpenAPI document generated
 * from them), fed wrong types, out-of-range numbers, impossible dates, huge and unicode strings,
 * crafted cursors and tokens, bad bodies and content types — plus every input issue 10 named.
 * The bar: no 5xx; every 4xx is JSON with `error` and `message`, and a 400/422 names the bad
 * input in `fields`; no forged cursor or token is accepted. The last test prints the figures.
 */

type ErrorBody = { error?: unknown; message?: unknown; fields?: { field: string; message: string }[] };

const figures = { tried: 0, fiveXX: 0, forgeriesTried: 0, forgeriesAccepted: 0 };
const failures: string[] = [];

let app: TestApp;
let fake: FakeSpotify;
let lyricsFakes: LyricsFakes;
let token: string;
/** The earliest play the history holds (before any poison). */
let firstReal: number;

const NOW = Date.parse("2026-11-21T12:00:00.000Z"); // the test app's clock
const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");

interface Sent {
  method: string;
  path: string;
  query?: Record<string, string> | URLSearchParams | string;
  headers?: Record<string, string>;
  body?: string;
  auth?: boolean;
}

interface Answer {
  status: number;
  type: string;
  text: string;
  json: ErrorBody | null;
  label: string;
}

async function send(req: Sent): Promise<Answer> {
  const qs =
    typeof req.query === "string"
      ? req.query
      : req.query
        ? new URLSearchParams(req.query as Record<string, string>).toString()
        : "";
  const url = `${app.url}${req.path}${qs ? `?${qs}` : ""}`;
  const headers: Record<string, string> = { accept: "application/json", ...req.headers };
  if (req.auth !== false && !("authorization" in headers)) headers.authorization = `Bearer ${token}`;
  figures.tried++;
  const res = await fetch(url, {
    method: req.method,
    headers,
    // The 302 of /spotify/authorize?redirect=true is the answer; following it leaves the app.
    redirect: "manual",
    ...(req.body !== undefined ? { body: req.body } : {}),
  });
  const text = await res.text();
  let json: ErrorBody | null = null;
  try {
    json = JSON.parse(text) as ErrorBody;
  } catch {}
  const label = `${req.method} ${url.slice(app.url.length, app.url.length + 160)}`;
  const answer = { status: res.status, type: res.headers.get("content-type") ?? "", text, json, label };
  if (res.status >= 500) {
    figures.fiveXX++;
    failures.push(`${label} → ${res.status} ${text.slice(0, 200)}`);
  } else if (res.status >= 400) {
    const ok =
      answer.type.startsWith("application/json") &&
      typeof json?.error === "string" &&
      typeof json.message === "string" &&
      json.message.length > 0 &&
      ((res.status !== 400 && res.status !== 422) || (json.fields?.length ?? 0) > 0);
    if (!ok)
      failures.push(`${label} → ${res.status} is not a JSON error naming the problem: ${text.slice(0, 200)}`);
  }
  return answer;
}

/**
 * A 400/422 whose `fields` name `field` (e.g. `query.from`), or name an input that was not sent
 * at all (a required `to`, the body): that is the problem then. A 2xx means the value was valid
 * after all; other 4xx (401/404/405/409/413/431) are judged by send().
 */
function namesOrAccepts(a: Answer, field: string, sent: readonly string[] = [field]): void {
  if (a.status !== 400 && a.status !== 422) return;
  const fields = a.json?.fields?.map((f) => f.field) ?? [];
  const isTarget = (f: string) => f === field || f.startsWith(`${field}.`) || f.startsWith(`${field}[`);
  const isMissing = (f: string) =>
    !sent.some((s) => f === s || f.startsWith(`${s}.`) || f.startsWith(`${s}[`));
  if (!fields.some((f) => isTarget(f) || isMissing(f))) {
    failures.push(`${a.label} → ${a.status} names ${fields.join(", ") || "nothing"}, not ${field}`);
  }
}

/** A forgery must be refused (a 4xx): counted, and any 2xx is an accepted forgery. */
function refused(a: Answer, what: string): void {
  figures.forgeriesTried++;
  if (a.status < 400) {
    figures.forgeriesAccepted++;
    failures.push(`${a.label} → ${a.status}: ${what} was accepted`);
  }
}

function expectClean(label: string): void {
  const mine = failures.splice(0);
  assert.deepEqual(mine, [], `${label}: ${mine.length} problem(s)`);
}

const token$ = (claims: Record<string, unknown>, secret = TEST_SECRET) =>
  new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(new TextEncoder().encode(secret));

before(async () => {
  fake = await startFakeSpotify({ now: () => app?.deps.clock().getTime() ?? NOW });
  lyricsFakes = await startLyricsFakes();
  app = await startTestApp({ ...appEnvFor(fake), ...lyricsFakes.env, LOGIN_MAX_FAILURES: "1000" });
  token = await bearer(app);
  // A little history, so statistics and listings have pages and cursors.
  const history = generatePlays({ count: 60, seed: 3, now: NOW, spanDays: 120 });
  for (const g of history) await recordListen(app.deps.store, g.play, g.track);
  firstReal = Math.min(...history.map((g) => Date.parse(g.play.listened_at)));
});
after(async () => {
  await app?.close();
  await fake?.stop();
  await lyricsFakes?.close();
});

// ------------------------------------------------------------------ the inputs issue 10 named

/** The statistics over a period (from/to): item pages and the year in review take none. */
const STATS_ROUTES = routeList.filter(
  (r) =>
    (r.publicWhen === "PUBLIC_STATS" || r.path === "/dashboard") &&
    r.request?.query?.safeParse({ from: "2026-13-45" }).success === false,
);
const CURSOR_ROUTES = ["/plays", "/tracks", "/export/plays.json", "/export/plays.csv"];

describe("issue 10, item by item", () => {
  test("impossible dates are a 400 naming the field on every statistics and dashboard route", async () => {
    assert.equal(STATS_ROUTES.length, 9);
    const dates = [
      "2026-13-45",
      "2026-00-10",
      "2026-13-01",
      "2026-01-00",
      "2026-01-32",
      "2026-02-30",
      "2025-02-29",
    ];
    for (const r of STATS_ROUTES) {
      for (const field of ["from", "to"]) {
        for (const d of dates) {
          const a = await send({ method: "GET", path: r.path, query: { [field]: d } });
          assert.equal(a.status, 400, a.label);
          namesOrAccepts(a, `query.${field}`);
        }
      }
      // And a date so early or late it means nothing: a 400 too, never a crawl over centuries.
      const early: Record<string, string>[] = [
        { from: "0001-01-01" },
        { to: "9999-12-31" },
        { from: "0001-01-01T00:00:00Z" },
      ];
      for (const q of early) {
        const a = await send({ method: "GET", path: r.path, query: q });
        assert.equal(a.status, 400, a.label);
      }
    }
    expectClean("impossible dates");
  });

  test("crafted cursors are a 400 naming cursor on /plays, /tracks, /export/plays.json|csv", async () => {
    const first = await send({ method: "GET", path: "/plays", query: { limit: "2" } });
    const real = (first.json as unknown as { next_cursor: string }).next_cursor;
    assert.ok(real, "a real cursor to tamper with");
    const [body, mac] = real.split(".") as [string, string];
    const otherBody = b64url({ pk: "PLAYS", sk: "2030-01-01T00:00:00.000Z#x" });
    const crafted = [
      b64url({ pk: "TRACK#x", sk: "META" }),
      b64url({ pk: 1 }),
      b64url({ sk: 1e308 }),
      b64url({ pk: "PLAYS", sk: "2026-01-01T00:00:00.000Z#tr1" }),
      `${b64url({ pk: "TRACK#x", sk: "META" })}.${mac}`,
      `${otherBody}.${mac}`,
      `${body}.${mac.slice(0, -2)}AA`,
      `${body}.`,
      `${body}.${mac}.${mac}`,
      "%%%",
      "a".repeat(3000),
      "💥",
      "null",
      b64url(null),
      b64url([1, 2]),
    ];
    for (const path of CURSOR_ROUTES) {
      for (const cursor of crafted) {
        const a = await send({ method: "GET", path, query: { cursor } });
        assert.equal(a.status, 400, a.label);
        namesOrAccepts(a, "query.cursor");
        refused(a, "a crafted cursor");
      }
    }
    // A real cursor is bound to its listing and its bounds.
    for (const [path, query] of [
      ["/tracks", { cursor: real }],
      ["/plays", { cursor: real, from: "2026-01-01T00:00:00Z" }],
      ["/plays", { cursor: real, to: "2026-10-01T00:00:00Z" }],
    ] as const) {
      const a = await send({ method: "GET", path, query });
      assert.equal(a.status, 400, a.label);
      refused(a, "a cursor of another listing");
    }
    const next = await send({ method: "GET", path: "/plays", query: { limit: "2", cursor: real } });
    assert.equal(next.status, 200, "the real cursor still works where it came from");
    const exported = await send({
      method: "GET",
      path: "/export/plays.json",
      query: { limit: "2", cursor: real },
    });
    assert.equal(exported.status, 200, "…and on the export, which lists the same plays");
    expectClean("crafted cursors");
  });

  test("import: absurd ms_played and timestamps are rejected, counted per reason, never stored", async () => {
    const before = await app.deps.store.getCounts();
    const row = (o: Record<string, unknown>) => ({
      ts: "2025-05-01T10:00:00Z",
      ms_played: 200_000,
      master_metadata_track_name: "T",
      master_metadata_album_artist_name: "A",
      master_metadata_album_album_name: "B",
      spotify_track_uri: "spotify:track:hostile0000000000000001",
      reason_end: "fwdbtn",
      ...o,
    });
    const rows = [
      row({ ms_played: 100_000_000_000_000 }),
      row({ ms_played: 9_007_199_254_740_991, ts: "2025-05-01T10:00:01Z" }),
      row({ ts: "9999-12-31T23:59:59Z" }),
      row({ ts: "0001-01-01T00:00:00Z" }),
      row({ ts: "2025-05-01T10:00:05Z" }), // the one plausible row
    ];
    const a = await send({
      method: "POST",
      path: "/import",
      query: { file: "Streaming_History_Audio_hostile.json" },
      headers: { "content-type": "application/json" },
      body: JSON.stringify(rows),
    });
    assert.equal(a.status, 200, a.text);
    const summary = a.json as unknown as { imported: number; skipped: Record<string, number> };
    assert.equal(summary.imported, 1);
    assert.equal(summary.skipped.ms_played_too_long, 2);
    assert.equal(summary.skipped.time_out_of_range, 2);
    assert.equal((await app.deps.store.getCounts()).plays, before.plays + 1);
    expectClean("import bounds");
  });

  test("a hoard poisoned before the bounds existed still answers every statistic", async () => {
    const [g] = generatePlays({ count: 1, seed: 99, now: NOW, spanDays: 10 });
    assert.ok(g);
    // As the unchecked import stored them: year −1142, year 1, year 9999, absurd lengths.
    const poison: Play[] = [
      "-001142-03-04T05:06:07.000Z",
      "0001-01-01T00:00:00.000Z",
      "9999-12-31T23:59:59.000Z",
    ].map((at, i) => ({
      ...g.play,
      listened_at: at,
      ended_at: at,
      listened_ms: 100_000_000_000_000 + i,
      counted: true,
    }));
    for (const p of poison) await app.deps.store.recordPlay(p, g.track);
    for (const r of STATS_ROUTES) {
      const queries: Record<string, string>[] = [
        {},
        { range: "all" },
        { range: "all", tz: "Pacific/Kiritimati" },
      ];
      for (const q of queries) {
        const a = await send({ method: "GET", path: r.path, query: q });
        assert.equal(a.status, 200, `${a.label} ${a.text.slice(0, 200)}`);
      }
    }
    for (const [path, query] of [
      ["/spotify/top-artists.svg", { range: "all" }],
      ["/spotify/weekly-grid.svg", { tz: "Pacific/Kiritimati" }],
    ] as const) {
      const svg = await send({ method: "GET", path, query, auth: false });
      assert.equal(svg.status, 200, `${path} ${svg.text.slice(0, 200)}`);
    }
    const timeline = await send({
      method: "GET",
      path: "/stats/timeline",
      query: { range: "all", bucket: "day" },
    });
    const points = (timeline.json as unknown as { points: unknown[] }).points.length;
    assert.ok(
      points <= Math.ceil((NOW - firstReal) / 86_400_000) + 130,
      `timeline has ${points} days, not centuries`,
    );
    // The owner repairs: the poisoned rows delete like any other.
    for (const p of poison) {
      const a = await send({
        method: "DELETE",
        path: `/plays/${encodeURIComponent(`${p.listened_at}#${p.track_id}`)}`,
      });
      assert.equal(a.status, 200, a.text);
    }
    expectClean("poisoned hoard");
  });

  test("tokens: a future iat, a lifetime over the configured one, alg none, a foreign key are 401", async () => {
    const now = Math.floor(NOW / 1000);
    const std = { sub: OWNER_ID, iss: JWT_ISSUER, aud: JWT_AUDIENCE };
    const forged = [
      await token$({ ...std, iat: now + 3600, exp: now + 3600 + 60 }),
      await token$({ ...std, iat: now - 10, exp: now + 365 * 86_400 }),
      await token$({ ...std, iat: now - 10, exp: now + 3600 * 2 }),
      await token$({ ...std, iat: now - 10, exp: now + 60 }, "another-secret-of-at-least-32-characters!!"),
      await token$({ ...std, iat: now - 7200, exp: now - 3600 }),
      await token$({ ...std, exp: now + 60 }),
      `${b64url({ alg: "none", typ: "JWT" })}.${b64url({ ...std, iat: now, exp: now + 60 })}.`,
    ];
    for (const t of forged) {
      const a = await send({ method: "GET", path: "/plays", headers: { authorization: `Bearer ${t}` } });
      assert.equal(a.status, 401, a.label);
      refused(a, "a forged token");
    }
    const fine = await token$({ ...std, iat: now + 30, exp: now + 30 + 3600 });
    const ok = await send({ method: "GET", path: "/plays", headers: { authorization: `Bearer ${fine}` } });
    assert.equal(ok.status, 200, "an iat within the clock-skew allowance is fine");
    expectClean("tokens");
  });

  test("headers too large: a 431 with a JSON body", async () => {
    const a = await send({
      method: "GET",
      path: "/health",
      headers: { "x-big": "a".repeat(64 * 1024) },
      auth: false,
    });
    assert.equal(a.status, 431);
    assert.equal((a.json as ErrorBody).error, "headers_too_large");
    expectClean("431");
  });

  test("CSV export: a cell a spreadsheet would run gets a leading apostrophe", async () => {
    const [g] = generatePlays({ count: 1, seed: 7, now: NOW, spanDays: 3 });
    assert.ok(g);
    const play = {
      ...g.play,
      name: '=HYPERLINK("http://evil","x")',
      listened_at: "2026-11-21T11:00:00.000Z",
    };
    await recordListen(app.deps.store, play, { ...g.track, name: play.name });
    const a = await send({ method: "GET", path: "/export/plays.csv", query: { limit: "1000" } });
    assert.equal(a.status, 200);
    assert.ok(a.text.includes(`"'=HYPERLINK(""http://evil"",""x"")"`), "prefixed and quoted");
    assert.ok(!/(^|,)"?=/m.test(a.text), "no cell starts with =");
    expectClean("csv");
  });
});

// ------------------------------------------------------------------ generated from the route table

/** Values any parameter is tried with, whatever its type. */
const HOSTILE = [
  "",
  " ",
  "abc",
  "-1",
  "0",
  "1.5",
  "1e308",
  "-1e308",
  "NaN",
  "Infinity",
  "0x10",
  "9007199254740993",
  "true",
  "null",
  "[]",
  "{}",
  "💥🎵",
  "\u0000",
  "%",
  "%E0%A4%A",
  "\ud800",
  "a".repeat(4000),
  "é".repeat(1500),
  "2026-13-45",
  "2026-02-30",
  "0001-01-01T00:00:00Z",
  "9999-12-31T23:59:59Z",
  "../../etc/passwd",
  "<script>alert(1)</script>",
  "' OR 1=1 --",
  "$" + "{jndi:ldap://x}", // log4shell's shape
];

type Param = { name: string; in: "query" | "path"; required: boolean; schema: Record<string, unknown> };

/** Extra values from the parameter's own schema: its bounds ±1, its enum misspelt. */
function fromSchema(s: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const k of ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]) {
    const v = s[k];
    if (typeof v === "number") out.push(String(v - 1), String(v + 1), String(v));
  }
  const values = (s.enum ?? (s.anyOf as { enum?: unknown[] }[] | undefined)?.flatMap((x) => x.enum ?? [])) as
    | unknown[]
    | undefined;
  for (const v of values ?? []) {
    if (typeof v !== "string") continue;
    out.push(v.toUpperCase(), `${v} `, `${v},${v}`, `${v}\u0000`);
  }
  return out;
}

const openapi = buildOpenApi() as {
  paths: Record<
    string,
    Record<string, { parameters?: Param[]; requestBody?: { content: Record<string, unknown> } }>
  >;
};
const operations = Object.entries(openapi.paths).flatMap(([path, ops]) =>
  Object.entries(ops).map(([method, op]) => ({ path, method: method.toUpperCase(), op })),
);

/** Fills path parameters with a harmless valid-looking value unless one is under test. */
const pathOf = (path: string, sub: Record<string, string> = {}) =>
  path.replace(/\{(\w+)\}/g, (_, name: string) =>
    encodeURIComponent((sub[name] ?? "2026-11-21T10:00:00.000Z#nothing-here").toWellFormed()),
  );

describe("every route, every parameter, from the route table's schemas", () => {
  test("the route table and the OpenAPI document agree (the generator covers every route)", () => {
    assert.equal(operations.length, routeList.length);
  });

  test("each parameter alone, with hostile values", async () => {
    const cases: Sent[] = [];
    const expected: string[] = [];
    for (const { path, method, op } of operations) {
      for (const p of op.parameters ?? []) {
        for (const v of [...HOSTILE, ...fromSchema(p.schema)]) {
          if (p.in === "path") cases.push({ method, path: pathOf(path, { [p.name]: v }) });
          else cases.push({ method, path: pathOf(path), query: { [p.name]: v } });
          expected.push(`${p.in}.${p.name}`);
        }
        // The same parameter twice (API Gateway joins them with a comma).
        if (p.in === "query") {
          cases.push({ method, path: pathOf(path), query: `${p.name}=1&${p.name}=2` });
          expected.push(`query.${p.name}`);
        }
      }
      // Nothing at all, and a parameter no schema knows.
      cases.push(
        { method, path: pathOf(path) },
        { method, path: pathOf(path), query: { "__proto__[x]": "1" } },
      );
      expected.push("", "");
    }
    // Mutating routes with valid input would change the hoard under the other cases: those
    // (rebuild, polls) answer alone, and only once, below.
    const answers = await mapLimit(cases, 4, (c) => send(c));
    answers.forEach((a, i) => {
      const field = expected[i] as string;
      if (field) namesOrAccepts(a, field);
    });
    expectClean("parameters");
  });

  test("bodies: malformed, wrong types, wrong content types, huge, nested", async () => {
    const deep = `${"[".repeat(50_000)}${"]".repeat(50_000)}`;
    const bodies: { type?: string; body: string }[] = [
      { type: "application/json", body: "{" },
      { type: "application/json", body: "null" },
      { type: "application/json", body: "[]" },
      { type: "application/json", body: "[1,2,3]" },
      { type: "application/json", body: '{"a":1}' },
      { type: "application/json", body: '[{"ts":1,"ms_played":"x"}]' },
      { type: "application/json", body: '[{"ts":"2025-01-01T00:00:00Z","ms_played":1e400}]' },
      {
        type: "application/json",
        body: '[{"endTime":"2023-13-45 99:99","artistName":"a","trackName":"b","msPlayed":1}]',
      },
      { type: "application/json", body: deep },
      { type: "application/json", body: `"${"a".repeat(100_000)}"` },
      { type: "application/json", body: "\ud800" },
      { type: "text/plain", body: "hello" },
      { type: "application/xml", body: "<a/>" },
      { type: "multipart/form-data; boundary=x", body: "--x--" },
      { type: "application/x-www-form-urlencoded", body: "username=admin&password=" },
      { type: "application/x-www-form-urlencoded", body: "username=%E0%A4%A&password=x" },
      { type: "application/x-www-form-urlencoded", body: `username=${"a".repeat(100_000)}&password=x` },
      { type: "application/x-www-form-urlencoded", body: "username[]=a&password[$ne]=x" },
      {
        type: "application/x-www-form-urlencoded",
        body: "grant_type=client_credentials&username=a&password=b",
      },
      { body: "no content type at all" },
    ];
    const targets = operations.filter((o) => o.method === "POST" && !/poll|rebuild|sync/.test(o.path));
    assert.ok(targets.some((o) => o.path === "/token") && targets.some((o) => o.path === "/import"));
    for (const { path, method } of targets) {
      await mapLimit(bodies, 2, (b) =>
        send({ method, path, body: b.body, headers: b.type ? { "content-type": b.type } : {} }),
      );
    }
    expectClean("bodies");
  });

  test("wrong methods and unknown paths are JSON 405/404", async () => {
    const paths = [...new Set(operations.map((o) => pathOf(o.path)))];
    await mapLimit(paths, 4, async (path) => {
      for (const method of ["PUT", "PATCH", "DELETE", "POST", "GET"]) {
        if (operations.some((o) => pathOf(o.path) === path && o.method === method)) continue;
        const a = await send({ method, path });
        assert.ok(a.status === 405 || a.status === 404, a.label);
      }
    });
    for (const path of [
      "/nope",
      "/plays/",
      "/plays/a/b",
      "/%E0%A4%A",
      `/${"x".repeat(5000)}`,
      "/.env",
      "/stats/",
    ]) {
      await send({ method: "GET", path });
    }
    const broken = await send({ method: "DELETE", path: "/plays/%E0%A4%A" });
    namesOrAccepts(broken, "path.id");
    expectClean("methods");
  });

  test("every bearer route refuses missing, malformed and forged credentials with a JSON 401", async () => {
    const now = Math.floor(NOW / 1000);
    const headers = [
      undefined,
      "Bearer",
      "Bearer ",
      "Basic YWRtaW46YWRtaW4=",
      "Bearer a.b.c",
      `Bearer ${"x".repeat(8000)}`,
      `Bearer ${await token$({ sub: "admin", iss: JWT_ISSUER, aud: "someone-else", iat: now, exp: now + 60 })}`,
      `Bearer ${await token$({ sub: "admin", iss: JWT_ISSUER, aud: JWT_AUDIENCE, iat: now + 86_400, exp: now + 86_460 })}`,
    ];
    const bearerOps = operations.filter(
      (o) => routeList.find((r) => r.path === o.path && r.method === o.method)?.auth === "bearer",
    );
    assert.ok(bearerOps.length > 15);
    await mapLimit(bearerOps, 4, async ({ path, method }) => {
      for (const h of headers) {
        const a = await send({
          method,
          path: pathOf(path),
          auth: false,
          headers: h === undefined ? {} : { authorization: h },
        });
        assert.equal(a.status, 401, a.label);
        if (h !== undefined) refused(a, "a bad credential");
      }
    });
    expectClean("credentials");
  });

  test("the mutating routes, once each, with valid input", async () => {
    for (const path of [
      "/spotify/poll/current-playback",
      "/spotify/poll/recently-played",
      "/spotify/sync-metadata",
      "/admin/rebuild-aggregates",
    ]) {
      await send({ method: "POST", path });
    }
    expectClean("mutating routes");
  });
});

test("the figures: inputs tried, 5xx, accepted forgeries", (t) => {
  const line = `hostile inputs tried: ${figures.tried}; 5xx: ${figures.fiveXX}; forgeries tried: ${figures.forgeriesTried}, accepted: ${figures.forgeriesAccepted}`;
  t.diagnostic(line);
  console.log(line);
  assert.ok(figures.tried > 3000, `${figures.tried} inputs`);
  assert.equal(figures.fiveXX, 0);
  assert.equal(figures.forgeriesAccepted, 0);
});
