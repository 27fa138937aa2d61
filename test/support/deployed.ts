/**
 * The synthesized stack run as AWS would run it, on this machine: each bundled function from
 * cdk.out in its own Node process (test/support/lambda-runtime.ts) that can resolve only
 * `@aws-sdk/*` (as on Lambda) and gets the template's environment, with AWS endpoints pointed
 * at stand-ins; and an HTTP front that turns requests into API Gateway payload-v2.0 events for
 * the template's routes.
 */
import { type ChildProcess, fork } from "node:child_process";
import fs from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { App } from "aws-cdk-lib";
import { PLACEHOLDER_ENV, placeholderArn } from "#infra/cdk/playback-loop.ts";
import { HoardifyStack, REPO_ROOT } from "#infra/cdk/stack.ts";

type Json = Record<string, unknown>;
interface Resource {
  Type: string;
  Properties?: Json;
  Metadata?: Json;
}
export interface TemplateJson {
  Resources: Record<string, Resource>;
}

export interface Synthesized {
  outdir: string;
  template: TemplateJson;
  stack: HoardifyStack;
}

/** Synthesizes with bundling into a fresh cdk.out beside which only @aws-sdk resolves. */
export function synthesize(context: Json): Synthesized {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "hoardify-deployed-"));
  const app = new App({ outdir, context });
  const stack = new HoardifyStack(app, "Hoardify");
  app.synth();
  const template = JSON.parse(
    fs.readFileSync(path.join(outdir, `${stack.artifactId}.template.json`), "utf8"),
  ) as TemplateJson;
  // What the Lambda Node runtime provides besides the bundle: the AWS SDK v3, nothing else.
  fs.mkdirSync(path.join(outdir, "node_modules"));
  fs.symlinkSync(path.join(REPO_ROOT, "node_modules/@aws-sdk"), path.join(outdir, "node_modules/@aws-sdk"));
  return { outdir, template, stack };
}

/** What an intrinsic in a function's environment stands for here. */
export type Resolver = (value: unknown) => string;

export function resolverFor(
  template: TemplateJson,
  values: { tableName: string; apiEndpoint: string },
): Resolver {
  const resolve: Resolver = (value) => {
    if (typeof value === "string") return value;
    const v = value as Json;
    if (typeof v.Ref === "string") {
      const r = template.Resources[v.Ref];
      if (r?.Type === "AWS::DynamoDB::Table") return values.tableName;
      if (r?.Type === "AWS::StepFunctions::StateMachine") return placeholderArn(template, v.Ref);
      throw new Error(`unresolved Ref ${v.Ref}`);
    }
    const att = v["Fn::GetAtt"] as [string, string] | undefined;
    if (att) {
      if (att[1] === "ApiEndpoint") return values.apiEndpoint;
      if (att[1] === "Arn") return placeholderArn(template, att[0]);
      throw new Error(`unresolved Fn::GetAtt ${att.join(".")}`);
    }
    const join = v["Fn::Join"] as [string, unknown[]] | undefined;
    if (join) return join[1].map(resolve).join(join[0]);
    throw new Error(`unresolved ${JSON.stringify(value)}`);
  };
  return resolve;
}

export interface LambdaError {
  errorType: string;
  errorMessage: string;
}

export interface Functions {
  /** Invokes the function (its logical id) in its own process; starts it on first use. */
  invoke(logicalId: string, event: unknown): Promise<unknown>;
  /** What the function's process wrote (its log lines). */
  logsOf(logicalId: string): string;
  /**
   * The function's next invocation dies with its process (SIGKILL once the event is sent, as a
   * Lambda that crashes or runs out of memory): it fails with Runtime.ExitError, and the
   * invocation after it starts a fresh process (a cold start).
   */
  crashNext(logicalId: string): void;
  /** The environment a function's process got (the template's, resolved, plus the stand-ins'). */
  envOf(logicalId: string): Record<string, string>;
  stop(): Promise<void>;
}

/**
 * `extraEnv` is what AWS would provide and the template cannot name: region, credentials
 * (one access key per function, named after it, so stand-ins can tell callers apart) and the
 * endpoints of the stand-ins.
 */
export function startFunctions(
  s: Synthesized,
  resolve: Resolver,
  extraEnv: Record<string, string>,
): Functions {
  const procs = new Map<string, { child: ChildProcess; ready: Promise<void>; logs: string[] }>();
  const waiting = new Map<number, { ok: (v: unknown) => void; fail: (e: Error) => void }>();
  let seq = 0;
  const owner = new Map<number, string>();
  const crashing = new Set<string>();

  const envOf = (id: string): Record<string, string> => {
    const r = s.template.Resources[id];
    if (r?.Type !== "AWS::Lambda::Function") throw new Error(`${id} is not a function`);
    const vars = ((r.Properties?.Environment as Json | undefined)?.Variables ?? {}) as Json;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(vars)) env[k] = resolve(v);
    return {
      ...env,
      ...extraEnv,
      AWS_LAMBDA_FUNCTION_NAME: id,
      AWS_ACCESS_KEY_ID: id,
      AWS_SECRET_ACCESS_KEY: "deployed-shape",
      HARNESS_TIMEOUT_MS: String(Number(r.Properties?.Timeout ?? 3) * 1000),
    };
  };

  const start = (id: string) => {
    const r = s.template.Resources[id];
    // The code's S3 key is the asset hash: cdk.out/asset.<hash> holds what would be uploaded.
    const key = ((r?.Properties?.Code as Json | undefined)?.S3Key as string | undefined) ?? "";
    const asset = `asset.${key.replace(/\.zip$/, "")}`;
    if (!key || !fs.existsSync(path.join(s.outdir, asset))) throw new Error(`${id} has no bundled asset`);
    const entry = path.join(s.outdir, asset, "index.mjs");
    const child = fork(path.join(REPO_ROOT, "test/support/lambda-runtime.ts"), [entry], {
      cwd: path.join(s.outdir, asset),
      // Exactly this environment: nothing of the test process leaks in (PATH aside).
      env: { PATH: process.env.PATH ?? "", ...envOf(id) },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    const ready = new Promise<void>((ok, fail) => {
      child.once("exit", (code) => fail(new Error(`${id} exited with ${code} before it was ready`)));
      child.on("message", (msg: { ready?: boolean; id?: number; result?: unknown; error?: LambdaError }) => {
        if (msg.ready) return ok();
        const w = msg.id === undefined ? undefined : waiting.get(msg.id);
        if (!w || msg.id === undefined) return;
        waiting.delete(msg.id);
        if (msg.error)
          w.fail(Object.assign(new Error(msg.error.errorMessage), { name: msg.error.errorType }));
        else w.ok(msg.result);
      });
    });
    // A process that dies fails what it was asked (as Lambda reports Runtime.ExitError).
    child.on("exit", (code, signal) => {
      // The next invocation gets a new sandbox, as Lambda's would.
      if (procs.get(id)?.child === child) procs.delete(id);
      for (const [n, w] of waiting) {
        if (owner.get(n) !== id) continue;
        waiting.delete(n);
        const err = new Error(`${id} exited (${code ?? signal})\n${logs.join("").slice(-4000)}`);
        w.fail(Object.assign(err, { name: "Runtime.ExitError" }));
      }
    });
    const logs: string[] = [];
    child.stdout?.on("data", (d: Buffer) => logs.push(d.toString()));
    child.stderr?.on("data", (d: Buffer) => logs.push(d.toString()));
    ready.catch(() => process.stderr.write(logs.join("")));
    const p = { child, ready, logs };
    procs.set(id, p);
    return p;
  };

  return {
    envOf,
    logsOf: (id) => procs.get(id)?.logs.join("") ?? "",
    crashNext: (id) => void crashing.add(id),
    async invoke(id, event) {
      const p = procs.get(id) ?? start(id);
      await p.ready;
      const n = ++seq;
      return new Promise((ok, fail) => {
        waiting.set(n, { ok, fail });
        owner.set(n, id);
        p.child.send({ id: n, event }, () => {
          if (crashing.delete(id)) p.child.kill("SIGKILL");
        });
      });
    },
    async stop() {
      await Promise.all(
        [...procs.values()].map(
          ({ child }) =>
            new Promise<void>((ok) => {
              if (child.exitCode !== null) return ok();
              child.once("exit", () => ok());
              child.kill();
            }),
        ),
      );
    },
  };
}

// ------------------------------------------------------------------ EventBridge schedules

export interface Schedule {
  ruleId: string;
  expression: string;
  /** The function the rule targets, allowed by a Lambda permission for this rule. */
  functionId: string;
}

/** The template's scheduled rules, each with the one function it targets and may invoke. */
export function schedulesOf(template: TemplateJson): Schedule[] {
  const getAtt = (v: unknown) => (v as { "Fn::GetAtt"?: [string, string] } | undefined)?.["Fn::GetAtt"]?.[0];
  const permitted = Object.values(template.Resources).filter(
    (r) => r.Type === "AWS::Lambda::Permission" && r.Properties?.Principal === "events.amazonaws.com",
  );
  return Object.entries(template.Resources).flatMap(([ruleId, r]) => {
    if (r.Type !== "AWS::Events::Rule" || typeof r.Properties?.ScheduleExpression !== "string") return [];
    const targets = (r.Properties.Targets as Json[] | undefined) ?? [];
    if (targets.length !== 1) throw new Error(`${ruleId} has ${targets.length} targets`);
    const functionId = getAtt(targets[0]?.Arn) ?? "";
    const allowed = permitted.some(
      (p) => getAtt(p.Properties?.FunctionName) === functionId && getAtt(p.Properties?.SourceArn) === ruleId,
    );
    if (!allowed) throw new Error(`${ruleId} may not invoke ${functionId}`);
    return [{ ruleId, expression: r.Properties.ScheduleExpression, functionId }];
  });
}

/** The event a scheduled rule delivers to its target. */
export function scheduledEventOf(rule: Schedule) {
  const { partition, region, account } = PLACEHOLDER_ENV;
  return {
    version: "0",
    id: `event-${Date.now()}-${Math.random().toString(36).slice(2)}`,
    "detail-type": "Scheduled Event",
    source: "aws.events",
    account,
    time: new Date().toISOString(),
    region,
    resources: [`arn:${partition}:events:${region}:${account}:rule/${rule.ruleId}`],
    detail: {},
  };
}

// ------------------------------------------------------------------ the HTTP API

interface RouteEntry {
  routeKey: string;
  method: string;
  pattern: RegExp;
  params: string[];
  functionId: string;
}

function routesOf(template: TemplateJson): { routes: RouteEntry[]; fallback: string | undefined } {
  const integrationTarget = (target: unknown): string => {
    const parts = (target as { "Fn::Join": [string, unknown[]] })["Fn::Join"][1];
    const integrationId = (parts[1] as { Ref: string }).Ref;
    const uri = template.Resources[integrationId]?.Properties?.IntegrationUri as {
      "Fn::GetAtt": [string, string];
    };
    return uri["Fn::GetAtt"][0];
  };
  const routes: RouteEntry[] = [];
  let fallback: string | undefined;
  for (const r of Object.values(template.Resources)) {
    if (r.Type !== "AWS::ApiGatewayV2::Route") continue;
    const routeKey = String(r.Properties?.RouteKey);
    const functionId = integrationTarget(r.Properties?.Target);
    if (routeKey === "$default") {
      fallback = functionId;
      continue;
    }
    const [method = "", routePath = ""] = routeKey.split(" ");
    const params: string[] = [];
    const source = routePath
      .replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
      .replace(/\\\{(\w+)\\\}/g, (_m, name: string) => {
        params.push(name);
        return "([^/]+)";
      });
    routes.push({ routeKey, method, pattern: new RegExp(`^${source}$`), params, functionId });
  }
  return { routes, fallback };
}

/** The payload-v2.0 event API Gateway builds: lower-cased, comma-joined headers; cookies apart. */
export function eventOf(
  req: IncomingMessage,
  body: Buffer,
  route: RouteEntry | undefined,
  match: RegExpExecArray | null,
) {
  const url = new URL(req.url ?? "/", "http://front");
  const headers: Record<string, string> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] ?? "").toLowerCase();
    const value = req.rawHeaders[i + 1] ?? "";
    if (name === "cookie") continue;
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  const cookies = (req.headers.cookie ?? "")
    .split(";")
    .map((c) => c.trim())
    .filter((c) => c !== "");
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
  const pathParameters =
    route && match
      ? Object.fromEntries(route.params.map((p, i) => [p, decodeURIComponent(match[i + 1] ?? "")]))
      : undefined;
  return {
    version: "2.0",
    routeKey: route?.routeKey ?? "$default",
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ""),
    headers,
    ...(cookies.length > 0 ? { cookies } : {}),
    ...(url.search ? { queryStringParameters: query } : {}),
    ...(pathParameters && Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
    requestContext: {
      accountId: "123456789012",
      apiId: "front",
      domainName: headers.host ?? "front",
      http: {
        method: req.method ?? "GET",
        path: url.pathname,
        protocol: "HTTP/1.1",
        sourceIp: "203.0.113.7",
        userAgent: headers["user-agent"] ?? "",
      },
      requestId: `front-${Date.now()}-${Math.random().toString(36).slice(2)}`,
      routeKey: route?.routeKey ?? "$default",
      stage: "$default",
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    // API Gateway base64-encodes bodies it does not know to be text; the handlers must decode.
    ...(body.length > 0
      ? { body: body.toString("base64"), isBase64Encoded: true }
      : { isBase64Encoded: false }),
  };
}

/** Listens on a port chosen up front (the redirect URI is built from it before synth). */
export async function startFront(
  server: Server,
  template: TemplateJson,
  functions: Functions,
): Promise<void> {
  const { routes, fallback } = routesOf(template);
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const pathname = new URL(req.url ?? "/", "http://front").pathname;
      let route: RouteEntry | undefined;
      let match: RegExpExecArray | null = null;
      for (const r of routes) {
        if (r.method !== req.method) continue;
        match = r.pattern.exec(pathname);
        if (match) {
          route = r;
          break;
        }
      }
      const fnId = route?.functionId ?? fallback;
      if (!fnId) {
        res.writeHead(404).end();
        return;
      }
      functions.invoke(fnId, eventOf(req, Buffer.concat(chunks), route, match)).then(
        (out) => {
          const r = out as {
            statusCode?: number;
            headers?: Record<string, string>;
            body?: string;
            isBase64Encoded?: boolean;
            cookies?: string[];
          };
          const headers: Record<string, string | string[]> = { ...r.headers };
          if (r.cookies?.length) headers["set-cookie"] = r.cookies;
          res.writeHead(r.statusCode ?? 200, headers);
          res.end(r.body === undefined ? "" : Buffer.from(r.body, r.isBase64Encoded ? "base64" : "utf8"));
        },
        // What API Gateway answers when the integration fails.
        (err: unknown) => {
          process.stderr.write(`${fnId} failed: ${(err as Error).message}\n${functions.logsOf(fnId)}\n`);
          res.writeHead(500, { "content-type": "application/json" });
          res.end('{"message":"Internal Server Error"}');
        },
      );
    });
  });
}

/** A server bound to a free port, before the stack (whose redirect URI names it) is synthesized. */
export async function listenFront(): Promise<{ server: Server; url: string }> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}
