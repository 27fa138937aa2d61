import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { CONFIG_DEFAULTS, type Config } from "../config.ts";
import { awsOutageReason, DependencyUnavailableError } from "../outage.ts";
import { tableDefinition } from "./table.ts";

/**
 * How long one DynamoDB call may take. Without them a stalled endpoint holds a request until
 * the Lambda's own timeout (the SDK's default is to wait forever). Worst case for a frozen
 * table: maxAttempts × (connect + request) plus the retry back-off — 2 × 3 s ≈ 6 s by default,
 * inside the 10 s a request handler may run. shared/config.ts reads them from the environment.
 */
export interface DynamoTimeouts {
  connectMs: number;
  requestMs: number;
  maxAttempts: number;
}

/**
 * Defaults when the environment sets none. DynamoDB answers in milliseconds; DynamoDB Local is a
 * JVM on a laptop or a busy CI machine, where a table creation or a GC pause can take seconds:
 * there a stall must still end in a 503, just not a healthy-but-slow answer.
 */
const AWS_TIMEOUTS = { connectMs: 1000, requestMs: 3000 };
const LOCAL_TIMEOUTS = { connectMs: 5000, requestMs: 20_000 };

export function dynamoTimeoutsOf(
  c: Pick<
    Config,
    | "DYNAMODB_CONNECT_TIMEOUT_MS"
    | "DYNAMODB_REQUEST_TIMEOUT_MS"
    | "DYNAMODB_MAX_ATTEMPTS"
    | "DYNAMODB_ENDPOINT"
  >,
): DynamoTimeouts {
  const base = c.DYNAMODB_ENDPOINT ? LOCAL_TIMEOUTS : AWS_TIMEOUTS;
  return {
    connectMs: c.DYNAMODB_CONNECT_TIMEOUT_MS ?? base.connectMs,
    requestMs: c.DYNAMODB_REQUEST_TIMEOUT_MS ?? base.requestMs,
    maxAttempts: c.DYNAMODB_MAX_ATTEMPTS,
  };
}

export function createDocumentClient(opts: {
  region: string;
  endpoint?: string | undefined;
  timeouts?: Partial<DynamoTimeouts> | undefined;
}): DynamoDBDocumentClient {
  const t = {
    ...dynamoTimeoutsOf({ ...CONFIG_DEFAULTS, DYNAMODB_ENDPOINT: opts.endpoint }),
    ...opts.timeouts,
  };
  const client = new DynamoDBClient({
    region: opts.region,
    ...(opts.endpoint
      ? {
          endpoint: opts.endpoint,
          // DynamoDB Local accepts any credentials; fixed ones keep a developer's AWS profile out of it.
          credentials: { accessKeyId: "local", secretAccessKey: "local" },
        }
      : {}),
    maxAttempts: t.maxAttempts,
    requestHandler: {
      connectionTimeout: t.connectMs,
      requestTimeout: t.requestMs,
      // Without it the SDK only logs a warning and keeps waiting.
      throwOnRequestTimeout: true,
    },
  });
  // Outermost step, so it sees the error after the SDK's retries: a transport failure, 5xx or
  // throttle becomes a DependencyUnavailableError (a 503 at the HTTP edge); answers such as a
  // failed condition pass through unchanged.
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (err) {
        const reason = awsOutageReason(err);
        throw reason ? new DependencyUnavailableError("storage", reason, { cause: err }) : err;
      }
    },
    { step: "initialize", name: "storageOutage", priority: "high" },
  );
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

/** Creates the table if absent (local runtime and tests; on AWS the CDK stack owns it). */
export async function ensureTable(
  doc: DynamoDBDocumentClient,
  tableName: string,
): Promise<"created" | "exists"> {
  try {
    await doc.send(new DescribeTableCommand({ TableName: tableName }));
    return "exists";
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
  }
  const d = tableDefinition;
  const attrs = new Map<string, "S" | "N">([
    [d.partitionKey, "S"],
    [d.sortKey, "S"],
  ]);
  for (const g of d.globalSecondaryIndexes) {
    attrs.set(g.partitionKey, "S");
    attrs.set(g.sortKey, g.sortKeyType);
  }
  await doc.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [...attrs].map(([AttributeName, AttributeType]) => ({
        AttributeName,
        AttributeType,
      })),
      KeySchema: [
        { AttributeName: d.partitionKey, KeyType: "HASH" },
        { AttributeName: d.sortKey, KeyType: "RANGE" },
      ],
      GlobalSecondaryIndexes: d.globalSecondaryIndexes.map((g) => ({
        IndexName: g.name,
        KeySchema: [
          { AttributeName: g.partitionKey, KeyType: "HASH" },
          { AttributeName: g.sortKey, KeyType: "RANGE" },
        ],
        Projection: { ProjectionType: "ALL" },
      })),
    }),
  );
  await doc.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: d.timeToLiveAttribute, Enabled: true },
    }),
  );
  return "created";
}
