import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { preflightHeaders } from "#shared/http/cors.ts";
import { matchRoute } from "#shared/http/match.ts";
import type { HttpResult } from "#shared/http/middleware.ts";
import { notFoundHandler } from "#shared/http/routes.ts";
import { logger } from "#shared/logger.ts";

/**
 * The local HTTP server: the same handlers as on AWS, dispatched from the same route table,
 * each request turned into the API Gateway v2 (payload 2.0) event the Lambda would get.
 */

type LambdaHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<HttpResult>;

const MAX_BODY_BYTES = 10 * 1024 * 1024; // API Gateway's payload limit

class PayloadTooLarge extends Error {}

const modules = new Map<string, Promise<LambdaHandler>>();
function loadHandler(file: string): Promise<LambdaHandler> {
  let loaded = modules.get(file);
  if (!loaded) {
    loaded = import(new URL(`../../${file}`, import.meta.url).href).then(
      (m: { handler: LambdaHandler }) => m.handler,
    );
    modules.set(file, loaded);
  }
  return loaded;
}

function lambdaContext(requestId: string, functionName: string): Context {
  const started = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: "256",
    awsRequestId: requestId,
    logGroupName: `/local/${functionName}`,
    logStreamName: "local",
    getRemainingTimeInMillis: () => Math.max(0, 30_000 - (Date.now() - started)),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new PayloadTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export function toEvent(
  req: IncomingMessage,
  body: Buffer,
  pathParameters: Record<string, string>,
  routeKey: string,
) {
  const url = new URL(req.url ?? "/", "http://local");
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    if (k === "cookie") cookies.push(...String(v).split(/;\s*/));
    else headers[k] = Array.isArray(v) ? v.join(",") : v;
  }
  const query: Record<string, string> = {};
  // API Gateway joins repeated query parameters with commas.
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const requestId = randomUUID();
  const text = body.length > 0 ? body.toString("utf8") : undefined;
  const event: APIGatewayProxyEventV2 = {
    version: "2.0",
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(cookies.length ? { cookies } : {}),
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(Object.keys(pathParameters).length ? { pathParameters } : {}),
    requestContext: {
      accountId: "local",
      apiId: "local",
      domainName: headers.host ?? "localhost",
      domainPrefix: "local",
      http: {
        method: req.method ?? "GET",
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? "127.0.0.1",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId,
      routeKey,
      stage: "$default",
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
    ...(text !== undefined ? { body: text } : {}),
    isBase64Encoded: false,
  };
  return { event, requestId };
}

function send(res: ServerResponse, result: HttpResult): void {
  const headers = { ...(result.headers ?? {}) } as Record<string, string | number | boolean>;
  if (result.cookies?.length) headers["Set-Cookie"] = result.cookies.join(", ");
  const body = result.body ? Buffer.from(result.body, result.isBase64Encoded ? "base64" : "utf8") : undefined;
  res.writeHead(
    result.statusCode ?? 200,
    Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)])),
  );
  res.end(body);
}

/**
 * Requests Node's parser refuses before any handler runs (headers over its 16 KB limit, a
 * malformed request line): answered with the same JSON error shape as everything else, where
 * Node would write a bare status line and no body.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const tooLarge = err.code === "HPE_HEADER_OVERFLOW";
  const status = tooLarge ? "431 Request Header Fields Too Large" : "400 Bad Request";
  const body = JSON.stringify(
    tooLarge
      ? {
          error: "headers_too_large",
          message: "the request headers are larger than this server accepts (16 KB)",
        }
      : { error: "bad_request", message: `the request could not be parsed (${err.code ?? "malformed"})` },
  );
  socket.end(
    `HTTP/1.1 ${status}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export function createLocalServer(opts: { corsOrigins: readonly string[] }): Server {
  const server = createServer(async (req, res) => {
    try {
      const method = req.method ?? "GET";
      const path = new URL(req.url ?? "/", "http://local").pathname;
      if (method === "OPTIONS") {
        // API Gateway answers CORS preflight itself; so does the local server.
        res.writeHead(204, preflightHeaders(opts.corsOrigins, req.headers.origin)).end();
        return;
      }
      const match = matchRoute(method, path);
      const file = match.kind === "route" ? match.route.handler : notFoundHandler;
      const routeKey = match.kind === "route" ? `${match.route.method} ${match.route.path}` : "$default";
      const body = await readBody(req);
      const { event, requestId } = toEvent(
        req,
        body,
        match.kind === "route" ? match.pathParameters : {},
        routeKey,
      );
      const handler = await loadHandler(file);
      send(
        res,
        await handler(event, lambdaContext(requestId, match.kind === "route" ? match.route.id : "not-found")),
      );
    } catch (err) {
      if (err instanceof PayloadTooLarge && !res.headersSent) {
        res.writeHead(413, { "Content-Type": "application/json; charset=utf-8", Connection: "close" });
        res.end(
          JSON.stringify({
            error: "payload_too_large",
            message: "the body is over API Gateway's 10 MB limit",
          }),
        );
        return;
      }
      logger.error("local server failed to dispatch", err as Error);
      if (!res.headersSent) {
        res.writeHead(500, { "Content-Type": "application/json; charset=utf-8" });
        res.end(JSON.stringify({ error: "internal", message: "Internal server error" }));
      }
    }
  });
  server.on("clientError", answerClientError);
  return server;
}
