/**
 * On Lambda a missing Upstash setting is a cold-start error, not a silent per-container memory
 * cache: the handler answers 503 naming the settings, /health included.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { handler } from "#functions/health.ts";
import { resetDeps } from "#shared/deps.ts";

test("a Lambda without Upstash answers 503 on /health, naming the missing settings", async () => {
  process.env.AWS_LAMBDA_FUNCTION_NAME = "Hoardify-HealthFunction";
  delete process.env.UPSTASH_REDIS_REST_URL;
  delete process.env.UPSTASH_REDIS_REST_TOKEN;
  delete process.env.SSM_SECRETS_PREFIX;
  resetDeps();
  const event = {
    version: "2.0",
    routeKey: "GET /health",
    rawPath: "/health",
    rawQueryString: "",
    headers: {},
    isBase64Encoded: false,
    requestContext: { http: { method: "GET", path: "/health", sourceIp: "203.0.113.9" } },
  } as unknown as APIGatewayProxyEventV2;
  const context = { awsRequestId: "req-1", functionName: "Hoardify-HealthFunction" } as Context;
  const res = await handler(event, context);
  assert.equal(res.statusCode, 503);
  const body = JSON.parse(String(res.body)) as { error: string; message: string };
  assert.equal(body.error, "not_configured");
  assert.match(
    body.message,
    /UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN are required on AWS Lambda/,
  );
});
