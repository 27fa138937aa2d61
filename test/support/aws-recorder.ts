/**
 * A recording proxy in front of DynamoDB Local: every request is forwarded unchanged, and what
 * it asks for is noted as IAM would see it (the actions and resources it needs, per item of a
 * transaction) with the access key that signed it: in the deployed-shape tier, the function.
 */
import { createServer, request } from "node:http";
import type { AddressInfo } from "node:net";

export interface AwsCall {
  accessKeyId: string | undefined;
  /** e.g. dynamodb:PutItem */
  action: string;
  /** e.g. table/hoardify or table/hoardify/index/gsi1 */
  resource: string;
}

type Json = Record<string, unknown>;

const TRANSACT_ITEM_ACTIONS: Record<string, string> = {
  Put: "PutItem",
  Update: "UpdateItem",
  Delete: "DeleteItem",
  ConditionCheck: "ConditionCheckItem",
  Get: "GetItem",
};

/** What IAM authorizes for one DynamoDB request: transactions are checked item by item. */
export function dynamoCallsOf(operation: string, body: Json): { action: string; resource: string }[] {
  const table = (name: unknown, index?: unknown) =>
    `table/${String(name)}${typeof index === "string" ? `/index/${index}` : ""}`;
  if (operation === "TransactWriteItems" || operation === "TransactGetItems") {
    return ((body.TransactItems as Json[] | undefined) ?? []).flatMap((item) =>
      Object.entries(item).map(([kind, spec]) => ({
        action: `dynamodb:${TRANSACT_ITEM_ACTIONS[kind] ?? kind}`,
        resource: table((spec as Json).TableName),
      })),
    );
  }
  if (operation === "BatchGetItem" || operation === "BatchWriteItem") {
    return Object.keys((body.RequestItems as Json | undefined) ?? {}).map((name) => ({
      action: `dynamodb:${operation}`,
      resource: table(name),
    }));
  }
  return [{ action: `dynamodb:${operation}`, resource: table(body.TableName, body.IndexName) }];
}

export async function startDynamoRecorder(
  target: string,
): Promise<{ url: string; calls: AwsCall[]; stop(): Promise<void> }> {
  const calls: AwsCall[] = [];
  const to = new URL(target);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const operation = String(req.headers["x-amz-target"] ?? "").split(".")[1] ?? "";
      const accessKeyId = /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ""))?.[1];
      try {
        for (const c of dynamoCallsOf(operation, JSON.parse(body.toString("utf8") || "{}") as Json)) {
          calls.push({ accessKeyId, ...c });
        }
      } catch {
        // not JSON: forwarded all the same; DynamoDB Local answers it
      }
      const { host: _host, ...headers } = req.headers;
      const upstream = request(
        { host: to.hostname, port: to.port, method: req.method, path: req.url, headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on("error", () => res.writeHead(502).end());
      upstream.end(body);
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    stop: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
