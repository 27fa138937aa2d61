import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy, { type MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import type * as z from "zod";
import { verifyToken } from "../auth/jwt.ts";
import { ConfigError } from "../config.ts";
import { type Deps, getDeps } from "../deps.ts";
import { logger } from "../logger.ts";
import { IntegrationError } from "../lyrics/faults.ts";
import { DependencyUnavailableError } from "../outage.ts";
import { corsHeaders } from "./cors.ts";
import {
  badRequest,
  HttpError,
  outage,
  unauthorized,
  unavailable,
  unprocessable,
  zodFields,
} from "./errors.ts";
import { integrationFaultError } from "./integration-faults.ts";
import type { BodyOf, PathOf, QueryOf, RouteDef } from "./route.ts";

/**
 * The shared middy stack every route handler is wrapped in:
 *   logger context → CORS → errors → deps → bearer auth (protected routes) → input validation.
 * A handler receives validated, typed input and returns an HttpReply; it never builds a
 * Lambda response or catches errors itself.
 */

export type HttpEvent = APIGatewayProxyEventV2 & {
  deps?: Deps;
  auth?: { subject: string };
  input?: { query: unknown; body: unknown; path: unknown };
};
export type HttpResult = APIGatewayProxyStructuredResultV2;

export interface HttpRequest<R> {
  query: QueryOf<R>;
  body: BodyOf<R>;
  path: PathOf<R>;
  headers: Record<string, string | undefined>;
  deps: Deps;
  auth: { subject: string } | undefined;
  requestId: string;
  sourceIp: string;
  event: APIGatewayProxyEventV2;
}

export interface HttpReply {
  status?: number;
  headers?: Record<string, string>;
  /** Serialised as JSON unless `text` is given. */
  body?: unknown;
  /** A non-JSON body (SVG, HTML); set a content-type header with it. */
  text?: string;
}

export const json = (body: unknown, status = 200, headers: Record<string, string> = {}): HttpReply => ({
  status,
  body,
  headers,
});

const JSON_TYPE = "application/json; charset=utf-8";

function toResult(reply: HttpReply): HttpResult {
  const headers: Record<string, string> = { "X-Content-Type-Options": "nosniff", ...reply.headers };
  if (reply.text !== undefined) return { statusCode: reply.status ?? 200, headers, body: reply.text };
  if (reply.body === undefined) return { statusCode: reply.status ?? 204, headers, body: "" };
  return {
    statusCode: reply.status ?? 200,
    headers: { "Content-Type": JSON_TYPE, "Cache-Control": "no-store", ...headers },
    body: JSON.stringify(reply.body),
  };
}

export function errorResult(err: HttpError): HttpResult {
  return toResult({ status: err.status, body: err.toBody(), headers: err.headers });
}

function headerOf(event: APIGatewayProxyEventV2, name: string): string | undefined {
  // API Gateway v2 lower-cases header names; the local server does the same.
  return event.headers?.[name] ?? undefined;
}

const errorResponder = (): MiddlewareObj<HttpEvent, HttpResult> => ({
  onError: async (request) => {
    const err = request.error;
    let httpError: HttpError;
    if (err instanceof HttpError) {
      httpError = err;
    } else if (err instanceof DependencyUnavailableError) {
      httpError = outage(err);
    } else if (err instanceof IntegrationError) {
      httpError = integrationFaultError(err);
    } else if (err instanceof ConfigError) {
      logger.error("configuration is invalid", { problems: err.problems });
      httpError = unavailable(`The service is misconfigured: ${err.problems.join("; ")}`, "not_configured");
    } else {
      logger.error("unhandled error", err as Error);
      httpError = new HttpError(
        500,
        "internal",
        `Internal server error; quote request id ${request.context.awsRequestId} when reporting it`,
      );
    }
    if (httpError.status >= 500)
      logger.warn("request failed", {
        status: httpError.status,
        code: httpError.code,
        ...(err instanceof DependencyUnavailableError ? { reason: err.reason } : {}),
      });
    request.response = errorResult(httpError);
  },
});

const cors = (): MiddlewareObj<HttpEvent, HttpResult> => {
  const add = async (request: { event: HttpEvent; response: HttpResult | null | undefined }) => {
    const origins = request.event.deps?.config.CORS_ORIGINS ?? [];
    if (!request.response || origins.length === 0) return;
    request.response.headers = {
      ...request.response.headers,
      ...corsHeaders(origins, headerOf(request.event, "origin")),
    };
  };
  return { after: add, onError: add };
};

const withDeps = (): MiddlewareObj<HttpEvent, HttpResult> => ({
  before: async (request) => {
    request.event.deps = await getDeps();
  },
});

const bearerAuth = (route: RouteDef): MiddlewareObj<HttpEvent, HttpResult> => ({
  before: async (request) => {
    const deps = request.event.deps;
    if (route.publicWhen && deps?.config[route.publicWhen] === true) return;
    if (!deps?.config.SECRET_KEY) {
      throw unavailable("SECRET_KEY is not set, so no token can be checked", "not_configured");
    }
    const header = headerOf(request.event, "authorization");
    if (!header)
      throw unauthorized(
        "missing Authorization header; send `Authorization: Bearer <token>` from POST /token",
      );
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw unauthorized("Authorization header must be `Bearer <token>`");
    const result = await verifyToken({
      secret: deps.config.SECRET_KEY,
      token: match[1],
      now: deps.clock(),
      maxLifetimeSeconds: deps.config.ACCESS_TOKEN_EXPIRE_MINUTES * 60,
    });
    if (!result.ok) throw unauthorized(result.reason);
    request.event.auth = { subject: result.subject };
  },
});

function parseBody(route: RouteDef, event: APIGatewayProxyEventV2): unknown {
  const raw = event.body
    ? event.isBase64Encoded
      ? Buffer.from(event.body, "base64").toString("utf8")
      : event.body
    : "";
  const contentType = (headerOf(event, "content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  if (route.request?.bodyType === "form") {
    if (raw !== "" && contentType !== "application/x-www-form-urlencoded") {
      throw unprocessable("this route takes an application/x-www-form-urlencoded form", [
        {
          field: "body",
          message: `expected application/x-www-form-urlencoded, got ${contentType || "no content type"}`,
        },
      ]);
    }
    return Object.fromEntries(new URLSearchParams(raw));
  }
  if (raw === "") return {};
  if (contentType !== "" && contentType !== "application/json") {
    throw unprocessable("this route takes a JSON body", [
      { field: "body", message: `expected application/json, got ${contentType}` },
    ]);
  }
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw badRequest(`body is not valid JSON: ${(err as Error).message}`, [
      { field: "body", message: "is not valid JSON" },
    ]);
  }
}

function validateWith(
  schema: z.ZodType | undefined,
  where: "query" | "path" | "body",
  value: unknown,
): unknown {
  if (!schema) return value;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const fields = zodFields(where, result.error);
  const names = fields.map((f) => f.field).join(", ");
  // Bodies answer 422 as the FastAPI service did; query and path problems are a 400.
  if (where === "body") throw unprocessable(`invalid request body: ${names}`, fields);
  throw badRequest(`invalid ${where} parameters: ${names}`, fields);
}

const validateInput = (route: RouteDef): MiddlewareObj<HttpEvent, HttpResult> => ({
  before: async (request) => {
    const event = request.event;
    const query = validateWith(route.request?.query, "query", event.queryStringParameters ?? {});
    const path = validateWith(route.request?.path, "path", event.pathParameters ?? {});
    const body = route.request?.body
      ? validateWith(route.request.body, "body", parseBody(route, event))
      : undefined;
    event.input = { query, path, body };
  },
});

export function httpHandler<R extends RouteDef>(route: R, fn: (req: HttpRequest<R>) => Promise<HttpReply>) {
  const core = async (event: HttpEvent, context: Context): Promise<HttpResult> => {
    const deps = event.deps;
    if (!deps) throw new Error("deps middleware did not run");
    const reply = await fn({
      query: event.input?.query as QueryOf<R>,
      body: event.input?.body as BodyOf<R>,
      path: event.input?.path as PathOf<R>,
      headers: event.headers ?? {},
      deps,
      auth: event.auth,
      requestId: context.awsRequestId,
      sourceIp: event.requestContext?.http?.sourceIp ?? "unknown",
      event,
    });
    return toResult(reply);
  };
  const stack = middy<HttpEvent, HttpResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(cors())
    .use(errorResponder())
    .use(withDeps());
  if (route.auth === "bearer") stack.use(bearerAuth(route));
  return stack.use(validateInput(route)).handler(core);
}
