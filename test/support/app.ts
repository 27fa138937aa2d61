import type { AddressInfo } from "node:net";
import { createLocalServer } from "#infra/local/server.ts";
import { hashPassword } from "#shared/auth/password.ts";
import { createMemoryCache } from "#shared/cache/memory.ts";
import type { Cache } from "#shared/cache/port.ts";
import type { Clock } from "#shared/clock.ts";
import { type Config, loadConfig } from "#shared/config.ts";
import { buildDeps, type Deps, setDeps } from "#shared/deps.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import { dynamoEndpoint, uniqueTableName, webAssetsDir } from "./services.ts";

export const TEST_PASSWORD = "correct horse battery staple";
export const TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789";

// bcrypt at 12 rounds costs ~250 ms; tests hash once per process at the minimum cost.
let passwordHash: Promise<string> | undefined;
export const testPasswordHash = () => {
  passwordHash ??= hashPassword(TEST_PASSWORD, 4);
  return passwordHash;
};

export interface TestApp {
  url: string;
  deps: Deps;
  config: Config;
  /** Moves the clock the handlers and the memory cache see. */
  advance(ms: number): void;
  close(): Promise<void>;
}

/**
 * The local HTTP server in this process, on a fresh DynamoDB Local table and a memory cache
 * with a controllable clock. Call `close` in the test file's `after`.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  /** `cache`: another cache than the in-memory one (the Upstash adapter over redis-server). */
  opts: { createTable?: boolean; cache?: Cache } = {},
): Promise<TestApp> {
  process.env.POWERTOOLS_LOG_LEVEL ??= "SILENT";
  let nowMs = Date.parse("2026-11-21T12:00:00.000Z");
  const clock: Clock = () => new Date(nowMs);
  const endpoint = await dynamoEndpoint();
  const config = loadConfig({
    TABLE_NAME: uniqueTableName("http"),
    DYNAMODB_ENDPOINT: endpoint,
    SECRET_KEY: TEST_SECRET,
    ADMIN_PASSWORD_HASH: await testPasswordHash(),
    // The fakes serve their images on loopback, which the SSRF fence refuses unless listed.
    ART_ALLOWED_HOSTS: "127.0.0.1",
    WEB_ASSETS_DIR: await webAssetsDir(),
    ...env,
  });
  // A test of a storage outage points DYNAMODB_ENDPOINT at a dead or frozen port: no table.
  if (opts.createTable !== false) {
    await ensureTable(
      createDocumentClient({ region: config.AWS_REGION, endpoint: config.DYNAMODB_ENDPOINT }),
      config.TABLE_NAME,
    );
  }
  const deps = await buildDeps(config, {
    cache: opts.cache ?? createMemoryCache({ now: () => nowMs }),
    clock,
  });
  setDeps(deps);
  const server = createLocalServer({ corsOrigins: config.CORS_ORIGINS });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    deps,
    config,
    advance: (ms) => {
      nowMs += ms;
    },
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

export async function login(app: TestApp, password = TEST_PASSWORD): Promise<Response> {
  return fetch(`${app.url}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ username: "admin", password }),
  });
}

export async function bearer(app: TestApp): Promise<string> {
  const res = await login(app);
  const body = (await res.json()) as { access_token: string };
  return body.access_token;
}
