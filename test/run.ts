/**
 * `npm test` after type-check and lint: starts one DynamoDB Local and one redis-server for the
 * whole run (test files create their own tables / key prefixes), then runs every test tier with
 * Node's built-in runner, and stops both services whatever happens.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningProcess, startDynamoDbLocal, startRedisServer } from "#infra/local/processes.ts";
import { buildWeb } from "#infra/web/build.ts";

const patterns = process.argv.slice(2);
const files = patterns.length > 0 ? patterns : ["test/**/*.test.ts"];

const started: RunningProcess[] = [];
// The dashboard, built once for every test app of the run (test/support/services.ts).
const webDir = mkdtempSync(join(tmpdir(), "hoardify-web-"));
let code = 1;
try {
  await buildWeb(join(webDir, "web"));
  const [dynamo, redis] = await Promise.all([startDynamoDbLocal(), startRedisServer()]);
  started.push(dynamo, redis);
  code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, ["--test", "--test-concurrency=2", ...files], {
      stdio: "inherit",
      env: {
        ...process.env,
        TEST_DYNAMODB_ENDPOINT: dynamo.endpoint,
        TEST_REDIS_PORT: String(redis.port),
        TEST_WEB_ASSETS_DIR: join(webDir, "web"),
        // Handlers log as JSON lines; the test output stays readable unless asked otherwise.
        POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? "SILENT",
      },
    });
    child.on("exit", (c, signal) => resolve(c ?? (signal ? 1 : 0)));
  });
} catch (err) {
  console.error(`test run could not start its services: ${(err as Error).message}`);
} finally {
  await Promise.all(started.map((p) => p.stop()));
  rmSync(webDir, { recursive: true, force: true });
}
process.exit(code);
