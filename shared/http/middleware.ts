import { injectLambdaContext } from "@aws-lambda-powertools/logger/middleware";
import middy, { type MiddlewareObj } from "@middy/core";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from "aws-lambda";
import type * as z from "zod";
import { verifyToken } from "../auth/jwt.ts";
import { needsRenewal, newSession, originAllowed, secureCookies, sessionFrom } from "../auth/session.ts";
import { ConfigError } from "../config.ts";
import { type Deps, forListener, getDeps } from "../deps.ts";
import { handleSchema, type Listener, OWNER_ID, ownerListener } from "../domain/listener.ts";
import { noteSeen } from "../listeners/seen.ts";
import { logger } from "../logger.ts";
import { DependencyUnavailableError } from "../outage.ts";
import { corsHeaders } from "./cors.ts";
import {
  badRequest,
  forbidden,
  HttpError,
  httpErrorOf,
  notFound,
  unauthorized,
  unavailable,
  unprocessable,
  zodFields,
} from "./errors.ts";
import { audienceOf, type BodyOf, type PathOf, type QueryOf, type RouteDef } from "./route.ts";

/**
 * The shared middy stack every route handler is wrapped in:
 *   logger context → CORS → errors → deps → bearer auth (protected routes) → input validation.
 * A handler receives validated, typed input and returns an HttpReply; it never builds a
 * Lambda response or catches errors itself.
 */

/** Who called: the listener their token or session names. */
export interface Caller {
  subject: string;
  listener: Listener;
  via: "bearer" | "session";
}

export type HttpEvent = APIGatewayProxyEventV2 & {
  deps?: Deps;
  auth?: Caller;
  /** A renewed session cookie to send back. */
  renewCookie?: string;
  input?: { query: unknown; body: unknown; path: unknown };
};
export type HttpResult = APIGatewayProxyStructuredResultV2;

export interface HttpRequest<R> {
  query: QueryOf<R>;
  body: BodyOf<R>;
  path: PathOf<R>;
  headers: Record<string, string | undefined>;
  /** Acting for the listener the route is about (the caller's own, or as the audience says). */
  deps: Deps;
  auth: Caller | undefined;
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
  /** `text` is base64 of bytes (a compressed or binary file): sent as those bytes. */
  base64?: boolean;
}

export const json = (body: unknown, status = 200, headers: Record<string, string> = {}): HttpReply => ({
  status,
  body,
  headers,
});

const JSON_TYPE = "application/json; charset=utf-8";

function toResult(reply: HttpReply): HttpResult {
  const { "Set-Cookie": setCookie, ...rest } = reply.headers ?? {};
  // Payload v2.0 sends cookies in their own list (API Gateway writes one Set-Cookie each).
  if (setCookie) return { ...toResult({ ...reply, headers: rest }), cookies: [setCookie] };
  const headers: Record<string, string> = { "X-Content-Type-Options": "nosniff", ...reply.headers };
  if (reply.text !== undefined)
    return {
      statusCode: reply.status ?? 200,
      headers,
      body: reply.text,
      ...(reply.base64 ? { isBase64Encoded: true } : {}),
    };
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
    if (err instanceof ConfigError) logger.error("configuration is invalid", { problems: err.problems });
    // Lower layers throw domain errors; the one table in errors.ts gives each its status.
    let httpError = httpErrorOf(err);
    if (!httpError) {
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

const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * The caller from a bearer token or, failing that, the session cookie; null without either.
 * A session used for a state change must come from an allowed Origin (CSRF), and is renewed
 * once half its lifetime is gone.
 */
async function authenticate(event: HttpEvent, deps: Deps): Promise<Caller | null> {
  const header = headerOf(event, "authorization");
  // Payload v2.0 (and the local server) hands cookies over apart from the headers.
  const cookie = header ? null : sessionFrom(event.cookies ?? []);
  if (!header && !cookie) return null;
  if (!deps.config.SECRET_KEY) {
    throw unavailable("SECRET_KEY is not set, so no token can be checked", "not_configured");
  }
  let token: string;
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw unauthorized("Authorization header must be `Bearer <token>`");
    token = match[1];
  } else {
    token = cookie ?? "";
  }
  const now = deps.clock();
  const lifetime = deps.config.ACCESS_TOKEN_EXPIRE_MINUTES * 60;
  const result = await verifyToken({
    secret: deps.config.SECRET_KEY,
    token,
    now,
    maxLifetimeSeconds: lifetime,
  });
  if (!result.ok)
    throw unauthorized(header ? result.reason : `session: ${result.reason}; sign in again at /login`);
  // The owner's token (the password login) needs no read: the owner always exists.
  const listener =
    result.subject === OWNER_ID ? ownerListener(now) : await deps.household.getListener(result.subject);
  if (!listener) throw unauthorized("the listener this token was issued to no longer exists");
  if (!header) {
    const method = event.requestContext?.http?.method ?? "GET";
    if (
      STATE_CHANGING.has(method) &&
      !originAllowed(headerOf(event, "origin"), headerOf(event, "host"), deps.config.CORS_ORIGINS)
    ) {
      throw forbidden(
        "a cookie-authenticated change must come from this site (Origin header); API clients send a bearer token",
        "csrf_origin",
      );
    }
    if (needsRenewal(result.issuedAt, result.expiresAt, now.getTime() / 1000)) {
      event.renewCookie = await newSession({
        secret: deps.config.SECRET_KEY,
        listener: listener.listener_id,
        ttlSeconds: lifetime,
        now,
        secure: secureCookies(deps.config),
      });
    }
  }
  return { subject: result.subject, listener, via: header ? "bearer" : "session" };
}

/** `?listener=<handle>`: the owner acting on another listener's hoard. Taken out of the query. */
function listenerParam(event: HttpEvent, check = true): string | undefined {
  const q = event.queryStringParameters;
  if (!q || q.listener === undefined) return undefined;
  const { listener, ...rest } = q;
  event.queryStringParameters = rest;
  return check ? checkedHandle(listener, "query.listener") : listener;
}

/** A handle from the request, checked before it becomes part of a key. */
function checkedHandle(value: string | undefined, field: string): string {
  const parsed = handleSchema.safeParse(value);
  if (!parsed.success) {
    const message = parsed.error.issues[0]?.message ?? "is not a handle";
    throw badRequest(`invalid ${field.split(".")[0]} parameters: ${field}`, [{ field, message }]);
  }
  return parsed.data;
}

/**
 * The one place a route's audience is enforced (route.ts `audience`): it authenticates the
 * caller, refuses who may not call, and hands the handler deps acting for the right listener.
 */
const audience = (route: RouteDef): MiddlewareObj<HttpEvent, HttpResult> => ({
  before: async (request) => {
    const event = request.event;
    const deps = event.deps;
    if (!deps) throw new Error("deps middleware did not run");
    const kind = audienceOf(route);
    if (kind === "public") {
      // A stray ?listener= on a public route names nobody: the route is the owner's.
      listenerParam(event, false);
      return;
    }
    if (kind === "handle") {
      const handle = checkedHandle(event.pathParameters?.handle, "path.handle");
      const found = await deps.household.findByHandle(handle);
      // A listener being removed has no cards any more, whoever asks.
      const target = found?.removing_since ? null : found;
      let caller: Caller | null = null;
      if (target && !target.public) caller = await authenticate(event, deps).catch(() => null);
      const allowed =
        target &&
        (target.public ||
          caller?.listener.listener_id === target.listener_id ||
          caller?.listener.role === "owner");
      // A private listener's cards look like nobody's: their existence is not public either.
      if (!target || !allowed) throw notFound(`no public cards for ${JSON.stringify(handle)}`);
      event.deps = forListener(deps, target.listener_id);
      return;
    }
    const named = listenerParam(event);
    const caller = await authenticate(event, deps);
    if (!caller) {
      // PUBLIC_STATS opens the owner's statistics (the single-user routes), nobody else's.
      if (route.publicWhen && deps.config[route.publicWhen] === true && named === undefined) return;
      throw unauthorized(
        "missing Authorization header; send `Authorization: Bearer <token>` from POST /token, or sign in at /login",
      );
    }
    // A listener being removed is nobody, but for the removal itself (repeated while `more`).
    if (caller.listener.removing_since && !route.whileRemoving)
      throw unauthorized("the listener this token was issued to is being removed");
    event.auth = caller;
    await noteSeen(deps, caller.listener);
    const role = caller.listener.role;
    if (kind === "owner" && role !== "owner") throw forbidden("this route is the owner's only", "owner_only");
    let target = caller.listener.listener_id;
    if (named !== undefined) {
      if (role !== "owner") throw forbidden("only the owner may name a listener (?listener=)", "owner_only");
      const found = await deps.household.findByHandle(named);
      if (!found) throw notFound(`no listener has the handle ${JSON.stringify(named)}`);
      target = found.listener_id;
    }
    event.deps = forListener(deps, target);
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
    const result = toResult(reply);
    if (event.renewCookie && !result.cookies) result.cookies = [event.renewCookie];
    return result;
  };
  const stack = middy<HttpEvent, HttpResult>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(cors())
    .use(errorResponder())
    .use(withDeps());
  return stack.use(audience(route)).use(validateInput(route)).handler(core);
}
