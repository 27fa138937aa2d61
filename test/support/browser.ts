import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { freePort, type RunningProcess, startRedisServer } from "#infra/local/processes.ts";
import { loadConfig } from "#shared/config.ts";
import { buildDeps, type Deps } from "#shared/deps.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import { TEST_PASSWORD, TEST_SECRET, testPasswordHash } from "./app.ts";
import { type LocalProcess, startLocal } from "./local-process.ts";
import { dynamoEndpoint, uniqueTableName } from "./services.ts";
import { startUpstashServer } from "./upstash-server.ts";

/**
 * The dashboard in a real browser: `npm start` (infra/local/main.ts, as a child process, building
 * the dashboard at start-up) on a table and cache seeded beforehand, driven by Debian's Chromium
 * through playwright-core. Every page it opens is watched: a console error, an uncaught
 * exception, a failed request or a 4xx/5xx answer fails the test (unless the test allows that
 * one), and `checkA11y` runs axe-core and fails on serious or critical violations.
 *
 *   const dash = await startDashboard({ seed: async (deps) => { … } });
 *   const tab = await dash.open("/app/overview", { signedIn: true, colorScheme: "dark" });
 *   … tab.page.getByRole(…) …
 *   await tab.checkA11y();
 *   await tab.screenshot("overview");      // docs/dashboard-overview-dark.png with UPDATE_SCREENSHOTS=1
 *   tab.assertClean();
 *   await dash.close();
 */

export const CHROMIUM = "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const DOCS = fileURLToPath(new URL("../../docs/", import.meta.url));
const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

/** `test(…, { skip })`: the reason to skip without Chromium (CI always has it). */
export const browserSkip =
  !existsSync(CHROMIUM) && !process.env.CI
    ? `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to run the browser tests; CI always runs them`
    : false;

/** Waits for a condition the page shows; generous, because a loaded 2-core machine is slow. */
export const PATIENCE_MS = 60_000;

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** What went wrong so far (console errors, failed requests, 4xx/5xx answers). */
  problems: string[];
  /** Answers matching `url` with `status` are expected (say, the 401 of GET /me before sign-in). */
  allow(status: number, url: RegExp): void;
  /** Fails on any problem seen so far. */
  assertClean(): void;
  /** axe-core over the page as it is: fails on serious or critical violations. */
  checkA11y(): Promise<void>;
  /** With UPDATE_SCREENSHOTS=1: docs/dashboard-<name>-<scheme>.png (the README shows them); the
   *  whole page unless `fullPage` is false (a long list: what the window shows). */
  screenshot(name: string, opts?: { fullPage?: boolean }): Promise<void>;
  close(): Promise<void>;
}

export interface Dashboard {
  url: string;
  /** The app's own dependencies (same table and cache as the child): to seed and to compare. */
  deps: Deps;
  open(
    path: string,
    opts?: {
      colorScheme?: "light" | "dark";
      signedIn?: boolean;
      viewport?: { width: number; height: number };
      /** The browser's IANA zone (default UTC): the pages ask the statistics in it. */
      timezoneId?: string;
    },
  ): Promise<WatchedPage>;
  /** Signs the browser context in as the owner (POST /login, the session cookie). */
  signIn(context: BrowserContext): Promise<void>;
  close(): Promise<void>;
}

export async function startDashboard(
  opts: { seed?: (deps: Deps) => Promise<void> } = {},
): Promise<Dashboard> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const fn of cleanups.reverse()) await fn().catch(() => undefined);
  };
  try {
    const endpoint = await dynamoEndpoint();
    // Its own redis-server behind the Upstash-compatible endpoint: the seeded now-playing
    // snapshot is the child's, and no other test file's keys are in the way.
    const redis: RunningProcess = await startRedisServer();
    cleanups.push(() => redis.stop());
    const token = "web-test-token";
    const upstash = await startUpstashServer({ redisPort: redis.port, token });
    cleanups.push(() => upstash.stop());
    const port = await freePort();
    const env = {
      PORT: String(port),
      DYNAMODB_ENDPOINT: endpoint,
      TABLE_NAME: uniqueTableName("web"),
      ADMIN_PASSWORD_HASH: await testPasswordHash(),
      SECRET_KEY: TEST_SECRET,
      UPSTASH_REDIS_REST_URL: upstash.url,
      UPSTASH_REDIS_REST_TOKEN: token,
      POWERTOOLS_LOG_LEVEL: "SILENT",
    };
    const config = loadConfig(env);
    await ensureTable(createDocumentClient({ region: config.AWS_REGION, endpoint }), config.TABLE_NAME);
    const deps = await buildDeps(config);
    await opts.seed?.(deps);

    const dataDir = join(await mkdtemp(join(tmpdir(), "hoardify-web-e2e-")), "data");
    cleanups.push(() => rm(join(dataDir, ".."), { recursive: true, force: true }));
    const app: LocalProcess = startLocal(dataDir, env);
    cleanups.push(async () => {
      if (app.child.pid !== undefined && app.child.exitCode === null) process.kill(-app.child.pid, "SIGTERM");
      await app.exited;
    });
    await app.ready;
    const url = `http://127.0.0.1:${port}`;

    const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    cleanups.push(() => browser.close());
    const axe = await readFile(AXE, "utf8");

    const signIn = async (context: BrowserContext) => {
      // The context's own request client shares its cookie jar: the session cookie lands there.
      const res = await context.request.post(`${url}/login`, {
        form: { username: "admin", password: TEST_PASSWORD },
        headers: { origin: url },
      });
      assert.equal(res.status(), 200, await res.text());
    };

    const open: Dashboard["open"] = async (path, o = {}) => {
      const scheme = o.colorScheme ?? "light";
      const context = await browser.newContext({
        colorScheme: scheme,
        viewport: o.viewport ?? { width: 1280, height: 900 },
        deviceScaleFactor: 1,
        reducedMotion: "reduce",
        timezoneId: o.timezoneId ?? "UTC",
        locale: "en-GB",
      });
      if (o.signedIn) await signIn(context);
      const page = await context.newPage();
      const problems: string[] = [];
      const allowed: { status: number; url: RegExp }[] = [];
      const isAllowed = (status: number, u: string) =>
        allowed.some((a) => a.status === status && a.url.test(u));
      page.on("console", (msg) => {
        if (msg.type() !== "error") return;
        // Chromium reports every 4xx/5xx answer as a console error too: the response handler
        // below judges those, allowed ones included.
        if (/Failed to load resource: the server responded with a status of \d+/.test(msg.text())) return;
        problems.push(`console error: ${msg.text()}`);
      });
      page.on("pageerror", (err) => problems.push(`uncaught: ${err.message}`));
      page.on("requestfailed", (req) => {
        const failure = req.failure()?.errorText ?? "failed";
        // A navigation cancels what the page it leaves was still loading: not a failure.
        if (failure === "net::ERR_ABORTED") return;
        problems.push(`request failed: ${req.method()} ${req.url()} (${failure})`);
      });
      page.on("response", (res) => {
        if (res.status() >= 400 && !isAllowed(res.status(), res.url()))
          problems.push(`HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
      });
      await page.goto(`${url}${path}`);
      return {
        page,
        context,
        problems,
        allow: (status, u) => {
          allowed.push({ status, url: u });
        },
        assertClean: () => assert.deepEqual(problems, [], "the page had problems"),
        checkA11y: async () => {
          // Through the DevTools protocol: the page's CSP (no inline script) stays in force.
          await page.evaluate(axe);
          const violations = await page.evaluate(async () => {
            type Violation = { id: string; impact: string; help: string; nodes: { target: unknown }[] };
            const { axe } = globalThis as unknown as { axe: { run(): Promise<{ violations: Violation[] }> } };
            const result = await axe.run();
            return result.violations.map((v) => ({
              id: v.id,
              impact: v.impact,
              help: v.help,
              targets: v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target)),
            }));
          });
          const serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
          assert.deepEqual(serious, [], "axe-core: serious or critical accessibility violations");
        },
        screenshot: async (name, shot = {}) => {
          if (process.env.UPDATE_SCREENSHOTS !== "1") return;
          mkdirSync(DOCS, { recursive: true });
          await page.screenshot({
            path: join(DOCS, `dashboard-${name}-${scheme}.png`),
            fullPage: shot.fullPage ?? true,
          });
        },
        close: () => context.close(),
      };
    };

    return { url, deps, open, signIn, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * Polls `probe` until it gives a value (not undefined, null or false): a condition the page
 * reaches, with the generous PATIENCE_MS. The last value seen is in the failure message.
 */
export async function until<T>(probe: () => Promise<T | undefined | null | false>, what: string): Promise<T> {
  const deadline = Date.now() + PATIENCE_MS;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== null && v !== false) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what} (last: ${String(last)})`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}
