import assert from "node:assert/strict";
import { createServer, type Server, type Socket } from "node:net";
import { after, before, test } from "node:test";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { freePort } from "#infra/local/processes.ts";
import { createUpstashCache } from "#shared/cache/upstash.ts";
import { resetDeps } from "#shared/deps.ts";
import { DependencyUnavailableError } from "#shared/outage.ts";
import { withSsmSecrets } from "#shared/secrets.ts";

/**
 * The Upstash and SSM clients give up on a frozen endpoint (a socket that accepts and never
 * answers) within their configured timeouts, and report it as an outage of that dependency,
 * which the HTTP layer answers 503.
 */

let frozen: Server;
let frozenUrl: string;
const sockets = new Set<Socket>();
before(async () => {
  frozen = createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((ok) => frozen.listen(0, "127.0.0.1", ok));
  frozenUrl = `http://127.0.0.1:${(frozen.address() as { port: number }).port}`;
});
after(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((ok) => frozen.close(() => ok()));
});

async function outageOf(p: Promise<unknown>): Promise<{ err: DependencyUnavailableError; ms: number }> {
  const started = performance.now();
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof DependencyUnavailableError, String(err));
    return { err, ms: performance.now() - started };
  }
  return assert.fail("expected an outage");
}

test("Upstash: frozen is a cache outage after the timeout; refused is one at once", async () => {
  const stalled = createUpstashCache({ url: frozenUrl, token: "t", timeoutMs: 300 });
  const slow = await outageOf(stalled.get("k"));
  assert.equal(slow.err.dependency, "cache");
  assert.equal(slow.err.reason, "timeout");
  assert.ok(slow.ms >= 300, `${slow.ms} ms`);

  const dead = createUpstashCache({ url: `http://127.0.0.1:${await freePort()}`, token: "t", retries: 0 });
  const refused = await outageOf(dead.set("k", 1));
  assert.equal(refused.err.dependency, "cache");
  assert.equal(refused.err.reason, "ECONNREFUSED");
});

test("SSM: a frozen endpoint is a secrets outage, and a request then answers 503 naming it", async () => {
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SSM: frozenUrl,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
  });
  const slow = await outageOf(withSsmSecrets({ SSM_SECRETS_PREFIX: "/hoardify/", SSM_TIMEOUT_MS: "300" }));
  assert.equal(slow.err.dependency, "secrets");
  assert.equal(slow.err.reason, "timeout");
  assert.ok(slow.ms >= 300, `${slow.ms} ms`);

  // A cold start whose secrets cannot be read: the handler answers 503, not 500 or a hang.
  Object.assign(process.env, { SSM_SECRETS_PREFIX: "/hoardify/", SSM_TIMEOUT_MS: "300" });
  resetDeps();
  const { handler } = await import("#functions/health.ts");
  const event = {
    version: "2.0",
    rawPath: "/health",
    headers: {},
    requestContext: { http: { method: "GET", path: "/health", sourceIp: "127.0.0.1" } },
  } as unknown as APIGatewayProxyEventV2;
  const context = { awsRequestId: "r", functionName: "health" } as unknown as Context;
  const res = (await handler(event, context)) as {
    statusCode: number;
    headers: Record<string, string>;
    body: string;
  };
  assert.equal(res.statusCode, 503);
  assert.equal((JSON.parse(res.body) as { error: string }).error, "secrets_unavailable");
  assert.equal(res.headers["Retry-After"], "5");
});
