import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { ConfigError, loadConfig } from "#shared/config.ts";
import { buildDeps, type Deps } from "#shared/deps.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import { type RunningProcess, startDynamoDbLocal } from "../local/processes.ts";

/**
 * The store a command-line script works on, chosen exactly as `npm start` chooses it: the same
 * config (`loadConfig`, `.env`), DYNAMODB_ENDPOINT when set, else DynamoDB Local on the data
 * folder (stop `npm start` first: two DynamoDB Locals must not share one folder). With `aws`,
 * the deployed table (TABLE_NAME in AWS_REGION, credentials from the usual AWS chain).
 */
export interface ScriptStore {
  deps: Deps;
  /** Where the data goes, for the person running the script. */
  target: string;
  close(): Promise<void>;
}

export async function openScriptStore(opts: { aws?: boolean } = {}): Promise<ScriptStore> {
  if (existsSync(".env")) process.loadEnvFile(".env");
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nSee .env.example for every variable.\n`);
      process.exit(2);
    }
    throw err;
  }
  let dynamo: RunningProcess | undefined;
  if (opts.aws) {
    config = { ...config, DYNAMODB_ENDPOINT: undefined };
  } else if (!config.DYNAMODB_ENDPOINT) {
    dynamo = await startDynamoDbLocal({ dataDir: resolve(config.DATA_DIR, "dynamodb") });
    config = { ...config, DYNAMODB_ENDPOINT: dynamo.endpoint };
  }
  const endpoint = config.DYNAMODB_ENDPOINT;
  if (endpoint) {
    await ensureTable(createDocumentClient({ region: config.AWS_REGION, endpoint }), config.TABLE_NAME);
  }
  const deps = await buildDeps(config);
  const where = dynamo
    ? `DynamoDB Local on ${resolve(config.DATA_DIR, "dynamodb")}`
    : endpoint
      ? `DynamoDB at ${endpoint}`
      : `AWS DynamoDB in ${config.AWS_REGION}`;
  return {
    deps,
    target: `table ${config.TABLE_NAME} (${where})`,
    close: async () => {
      await dynamo?.stop();
    },
  };
}
