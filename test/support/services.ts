import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunningProcess, startDynamoDbLocal, startRedisServer } from "#infra/local/processes.ts";
import { buildWeb } from "#infra/web/build.ts";

/**
 * The real services a test file needs. Under `npm test` they were started once by
 * test/run.ts; a test file run on its own (`node --test test/x.test.ts`) starts its own.
 */

let ownDynamo: Promise<RunningProcess> | undefined;
let ownRedis: Promise<RunningProcess> | undefined;

export async function dynamoEndpoint(): Promise<string> {
  const fromEnv = process.env.TEST_DYNAMODB_ENDPOINT;
  if (fromEnv) return fromEnv;
  if (!ownDynamo) {
    ownDynamo = startDynamoDbLocal().then((p) => {
      p.killOnExit();
      return p;
    });
  }
  return (await ownDynamo).endpoint;
}

export async function redisPort(): Promise<number> {
  const fromEnv = process.env.TEST_REDIS_PORT;
  if (fromEnv) return Number(fromEnv);
  if (!ownRedis) {
    ownRedis = startRedisServer().then((p) => {
      p.killOnExit();
      return p;
    });
  }
  return (await ownRedis).port;
}

/** A table name no other test file uses. */
export function uniqueTableName(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

let ownWeb: Promise<string> | undefined;

/** The built dashboard (infra/web/build.ts): built once by test/run.ts, or here on first use. */
export async function webAssetsDir(): Promise<string> {
  const fromEnv = process.env.TEST_WEB_ASSETS_DIR;
  if (fromEnv) return fromEnv;
  ownWeb ??= (async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "hoardify-web-")), "web");
    await buildWeb(dir);
    return dir;
  })();
  return ownWeb;
}
