import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { freePort } from "#infra/local/processes.ts";
import { routeList } from "#shared/http/routes.ts";
import { bearer, startTestApp, type TestApp } from "#test/support/app.ts";
import { trackRow } from "#test/support/exports.ts";
import { appEnvFor, type FakeSpotify, startFakeSpotify } from "#test/support/fake-spotify.ts";

/**
 * Storage outages through the real HTTP server, for every route of the route table: DynamoDB
 * stopped (nothing listens: connection refused) and frozen (a socket that accepts and never
 * answers, as a stalled or SIGSTOPped DynamoDB does). Every route that reads or writes the table
 * answers 503 `storage_unavailable` with Retry-After — never a 500, never a hang.
 */

/**
 * Routes that answer without touching the table (login uses the cache; docs are static; the
 * Genius and emotion routes ask their service first, unconfigured here: 503 not_configured;
 * POST /analysis/run only reads the run's lease in the cache).
 */
const STORAGE_FREE = new Set([
  "token",
  "spotifyAuthorize",
  "spotifyCallback",
  "openapi",
  "docs",
  // Sessions: signing out only clears a cookie; signing in starts at Spotify (not configured here).
  "login",
  "logout",
  // The owner's password sign-in checks a hash, as POST /token does.
  "signIn",
  // The dashboard's shell and files come from the function's own asset.
  "web",
  "webPage",
  "webAsset",
  "analyzeLyrics",
  "analysisRun",
  "geniusSearchArtist",
  "geniusAutocomplete",
  "geniusArtistSongs",
  "geniusLyrics",
]);

/** A body or query that passes validation, so the request reaches the storage. */
const INPUT: Record<string, { path?: string; query?: string; body?: string; type?: string }> = {
  deletePlay: { path: "2026-11-21T10:00:00.000Z%234uLU6hMCjMI75M1A2tKUQC" },
  deletePlays: { query: "from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z" },
  importPlays: {
    body: JSON.stringify([
      trackRow({
        end: Date.parse("2026-01-02T10:00:00Z"),
        ms: 60_000,
        id: "4uLU6hMCjMI75M1A2tKUQC",
        name: "A",
        artist: "B",
      }),
    ]),
    type: "application/json",
  },
  spotifyCallback: { query: `state=${"a".repeat(43)}&code=x` },
  spotifyTop: { query: "type=artists" },
  mePatch: { body: JSON.stringify({ public: true }), type: "application/json" },
  userNowPlayingSvg: { path: "someone" },
  userRecentlyPlayedSvg: { path: "someone" },
  userTopArtistsSvg: { path: "someone" },
  userWeeklyGridSvg: { path: "someone" },
  spotifyYearSvg: { path: "2025.svg" },
  userYearSvg: { path: "someone" },
  adminListenerReport: { path: "someone" },
  adminListenerDelete: { path: "someone" },
};

interface Answer {
  route: string;
  status: number;
  ms: number;
  retryAfter: string | null;
  body: { error?: string; message?: string } | null;
}

/** Every route at once, as a burst of traffic would arrive during the outage. */
function callEveryRoute(app: TestApp, token: string): Promise<Answer[]> {
  return Promise.all(
    routeList.map(async (r): Promise<Answer> => {
      const input = INPUT[r.id] ?? {};
      const path = r.path.replace(/\{[^}]+\}/g, input.path ?? "x");
      const headers: Record<string, string> = {
        authorization: `Bearer ${token}`,
        accept: "application/json",
      };
      let body = input.body;
      if (r.id === "token") {
        headers["content-type"] = "application/x-www-form-urlencoded";
        body = "username=admin&password=nope";
      } else if (input.type) headers["content-type"] = input.type;
      const started = performance.now();
      const res = await fetch(`${app.url}${path}${input.query ? `?${input.query}` : ""}`, {
        method: r.method,
        headers,
        ...(body !== undefined ? { body } : {}),
        // A hang fails the test instead of stalling the whole run.
        signal: AbortSignal.timeout(30_000),
        // GET /login answers with a redirect to Spotify: its answer is what is checked.
        redirect: "manual",
      });
      const text = await res.text();
      let parsed: Answer["body"] = null;
      try {
        parsed = JSON.parse(text) as Answer["body"];
      } catch {
        parsed = null;
      }
      return {
        route: `${r.id} (${r.method} ${r.path})`,
        status: res.status,
        ms: performance.now() - started,
        retryAfter: res.headers.get("retry-after"),
        body: parsed,
      };
    }),
  );
}

function assertOutageAnswers(answers: Answer[], withinMs: number): void {
  for (const a of answers) {
    const id = a.route.split(" ")[0] ?? "";
    assert.notEqual(a.status, 500, `${a.route}: 500 ${JSON.stringify(a.body)}`);
    // Routes that never touch storage (a bcrypt login among them) are not what is timed here.
    if (STORAGE_FREE.has(id)) continue;
    assert.ok(a.ms < withinMs, `${a.route} took ${Math.round(a.ms)} ms (limit ${withinMs})`);
    if (id === "health") {
      // Health reports the outage in its own shape (covered in detail below).
      assert.equal(a.status, 503, a.route);
      continue;
    }
    assert.equal(a.status, 503, `${a.route}: ${a.status} ${JSON.stringify(a.body)}`);
    assert.equal(a.body?.error, "storage_unavailable", a.route);
    assert.match(a.body?.message ?? "", /storage \(DynamoDB\) is unavailable/, a.route);
    assert.ok(Number(a.retryAfter) >= 1, `${a.route}: Retry-After ${a.retryAfter}`);
  }
}

/** Figures for the issue note: the slowest answer and how many requests never answered. */
function report(label: string, answers: Answer[]): void {
  const slowest = Math.max(...answers.map((a) => a.ms));
  const s503 = answers.filter((a) => a.status === 503).length;
  process.stdout.write(
    `# ${label}: ${answers.length} routes, ${s503} answered 503, slowest ${Math.round(slowest)} ms, hangs 0\n`,
  );
}

let fake: FakeSpotify;
before(async () => {
  fake = await startFakeSpotify();
});
after(() => fake.stop());

describe("storage stopped (connection refused)", () => {
  let app: TestApp;
  before(async () => {
    const dead = await freePort();
    app = await startTestApp(
      { ...appEnvFor(fake), DYNAMODB_ENDPOINT: `http://127.0.0.1:${dead}` },
      { createTable: false },
    );
  });
  after(() => app.close());

  test("every storage route answers 503 with Retry-After, naming storage, before any request timeout", async () => {
    const answers = await callEveryRoute(app, await bearer(app));
    // A refused connection fails at once; the SDK's retries add a short back-off. Idle, the
    // slowest route answers in well under a second, but a 2-core CI machine at load 20 has
    // taken 9 s (an import's upload and parse). 15 s stays below the 20 s request timeout a
    // hang would run into, so a hang still fails.
    assertOutageAnswers(answers, 15_000);
    report("storage stopped", answers);
  });

  test("/health answers 503 with storage unreachable and the link unknown, not false", async () => {
    const res = await fetch(`${app.url}/health`);
    assert.equal(res.status, 503);
    const body = (await res.json()) as {
      status: string;
      storage: { reachable: boolean; error?: string };
      spotify: { linked: unknown; needs_reauth: unknown };
    };
    assert.equal(body.status, "degraded");
    assert.equal(body.storage.reachable, false);
    assert.equal(body.storage.error, "ECONNREFUSED");
    assert.equal(body.spotify.linked, "unknown");
    assert.equal(body.spotify.needs_reauth, "unknown");
  });
});

describe("storage frozen (accepts, never answers)", () => {
  let app: TestApp;
  let frozen: Server;
  const sockets = new Set<Socket>();
  const REQUEST_TIMEOUT_MS = 400;
  const ATTEMPTS = 2;
  before(async () => {
    frozen = createServer((s) => {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    });
    await new Promise<void>((ok) => frozen.listen(0, "127.0.0.1", ok));
    const port = (frozen.address() as { port: number }).port;
    app = await startTestApp(
      {
        ...appEnvFor(fake),
        DYNAMODB_ENDPOINT: `http://127.0.0.1:${port}`,
        DYNAMODB_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
        DYNAMODB_MAX_ATTEMPTS: String(ATTEMPTS),
      },
      { createTable: false },
    );
  });
  after(async () => {
    await app.close();
    for (const s of sockets) s.destroy();
    await new Promise<void>((ok) => frozen.close(() => ok()));
  });

  test("every storage route answers 503 within the configured timeout instead of hanging", async () => {
    const answers = await callEveryRoute(app, await bearer(app));
    // Each store call gives up after ATTEMPTS × the request timeout (plus the SDK's short
    // back-off); a route makes a few calls in sequence at most. 30 s is the old hang.
    assertOutageAnswers(answers, 10_000);
    const storageAnswers = answers.filter((a) => !STORAGE_FREE.has(a.route.split(" ")[0] ?? ""));
    const fastest = Math.min(...storageAnswers.map((a) => a.ms));
    assert.ok(
      fastest >= REQUEST_TIMEOUT_MS,
      `a frozen storage cannot answer before the timeout (${Math.round(fastest)} ms)`,
    );
    report("storage frozen", answers);
  });
});
