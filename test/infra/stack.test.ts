/**
 * The CDK stack, synthesized once (bundling every function with esbuild) and checked against the
 * route table and the table definition it is built from, plus cdk-nag AwsSolutions.
 * Offline, no AWS credentials: the stack is environment-agnostic.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { App, type Stack, Validations } from "aws-cdk-lib";
import { Annotations, Match, Template } from "aws-cdk-lib/assertions";
import type { CfnFunction } from "aws-cdk-lib/aws-lambda";
import cdkNag from "cdk-nag";
import { BUNDLE_LIMIT_BYTES } from "#infra/cdk/bundling.ts";
import { LAMBDA_SYSTEM_LOG_LEVEL } from "#infra/cdk/logging.ts";
import { PLAYBACK_STATES, stateMachineDefinitionOf } from "#infra/cdk/playback-loop.ts";
import { HoardifyStack, routeKeyOf, SCHEDULED_JOBS, SECRET_NAMES, tableAccessFor } from "#infra/cdk/stack.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import { audienceOf } from "#shared/http/route.ts";
import { routeList } from "#shared/http/routes.ts";
import { householdKeys, keys, listenerKeys, tableDefinition } from "#shared/store/table.ts";
import { TEST_DEPLOY_SETTINGS } from "#test/support/deploy.ts";

type Json = Record<string, unknown>;
interface CfnResourceJson {
  Type: string;
  Properties: Json;
  DependsOn?: string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

/** Values that must never reach the template, handed to the app the way a careless deploy would. */
const SAMPLE_SECRETS = {
  SECRET_KEY: "sample-secret-key-0123456789abcdefghijklmnop",
  ADMIN_PASSWORD_HASH: "$2b$12$sampleSampleSampleSampleSampleSampleSampleSampleSampl",
  SPOTIFY_CLIENT_SECRET: "sample-spotify-client-secret-4f1e",
  UPSTASH_REDIS_REST_TOKEN: "sample-upstash-token-AXn2",
} as const;
const SPOTIFY_CLIENT_ID = TEST_DEPLOY_SETTINGS.spotifyClientId;

const outdirs: string[] = [];
function tmpOutdir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hoardify-cdk-"));
  outdirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of outdirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fast app: no esbuild (placeholder assets), for the tests that need a second synth. */
function unbundledApp(context: Json = {}): App {
  return new App({
    outdir: tmpOutdir(),
    context: { "aws:cdk:bundling-stacks": [], ...TEST_DEPLOY_SETTINGS, ...context },
  });
}

function logicalIdOf(stack: Stack, fn: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(fn.node.defaultChild as CfnFunction);
}

function getAttId(value: unknown): string | undefined {
  const att = (value as { "Fn::GetAtt"?: [string, string] } | undefined)?.["Fn::GetAtt"];
  return att?.[0];
}

function refId(value: unknown): string | undefined {
  return (value as { Ref?: string } | undefined)?.Ref;
}

/** Functions behind the API: one per handler file (several routes may share one). */
const handlerCount = new Set(routeList.map((r) => r.handler)).size;

let app: App;
let stack: HoardifyStack;
let template: Template;
let resources: Record<string, CfnResourceJson>;
let assemblyDir: string;

before(() => {
  app = new App({
    outdir: tmpOutdir(),
    context: {
      ...SAMPLE_SECRETS,
      secretKey: SAMPLE_SECRETS.SECRET_KEY,
      spotifyClientSecret: SAMPLE_SECRETS.SPOTIFY_CLIENT_SECRET,
      ...TEST_DEPLOY_SETTINGS,
      // Report nag findings in validation-report.json instead of throwing, so each test can say what broke.
      "@aws-cdk/core:failSynthOnValidationErrors": false,
    },
  });
  stack = new HoardifyStack(app, "Hoardify");
  Validations.of(app).addPlugins(new cdkNag.AwsSolutionsChecks(app, { verbose: true }));
  assemblyDir = app.synth().directory;
  template = Template.fromStack(stack);
  const raw = template.toJSON().Resources as Record<string, Partial<CfnResourceJson> & { Type: string }>;
  resources = Object.fromEntries(
    Object.entries(raw).map(([id, r]) => [id, { ...r, Properties: r.Properties ?? {} }]),
  );
});

function ofType(type: string): [string, CfnResourceJson][] {
  return Object.entries(resources).filter(([, r]) => r.Type === type);
}

/** Our functions: index.handler with TABLE_NAME (CDK helper functions have neither). */
function appFunctions(): [string, CfnResourceJson][] {
  return ofType("AWS::Lambda::Function").filter(([, r]) => {
    const env = (r.Properties.Environment as { Variables?: Json } | undefined)?.Variables;
    return r.Properties.Handler === "index.handler" && env !== undefined && "TABLE_NAME" in env;
  });
}

describe("DynamoDB table", () => {
  test("keys, GSIs, TTL, billing, PITR, encryption and retention follow tableDefinition", () => {
    const tables = ofType("AWS::DynamoDB::Table");
    assert.equal(tables.length, 1);
    const [, table] = tables[0] ?? assert.fail("no table");
    assert.equal(table.DeletionPolicy, "Retain");
    assert.equal(table.UpdateReplacePolicy, "Retain");
    const p = table.Properties;
    assert.deepEqual(p.KeySchema, [
      { AttributeName: tableDefinition.partitionKey, KeyType: "HASH" },
      { AttributeName: tableDefinition.sortKey, KeyType: "RANGE" },
    ]);
    assert.equal(p.BillingMode, "PAY_PER_REQUEST");
    assert.deepEqual(p.PointInTimeRecoverySpecification, { PointInTimeRecoveryEnabled: true });
    assert.deepEqual(p.SSESpecification, { SSEEnabled: true });
    assert.deepEqual(p.TimeToLiveSpecification, {
      AttributeName: tableDefinition.timeToLiveAttribute,
      Enabled: true,
    });

    const expectedGsis = tableDefinition.globalSecondaryIndexes.map((g) => ({
      IndexName: g.name,
      KeySchema: [
        { AttributeName: g.partitionKey, KeyType: "HASH" },
        { AttributeName: g.sortKey, KeyType: "RANGE" },
      ],
      Projection: { ProjectionType: "ALL" },
    }));
    assert.deepEqual(p.GlobalSecondaryIndexes, expectedGsis);

    const attrTypes = Object.fromEntries(
      (p.AttributeDefinitions as { AttributeName: string; AttributeType: string }[]).map((a) => [
        a.AttributeName,
        a.AttributeType,
      ]),
    );
    const expectedTypes: Record<string, string> = {
      [tableDefinition.partitionKey]: "S",
      [tableDefinition.sortKey]: "S",
    };
    for (const g of tableDefinition.globalSecondaryIndexes) {
      expectedTypes[g.partitionKey] = "S";
      expectedTypes[g.sortKey] = g.sortKeyType;
    }
    assert.deepEqual(attrTypes, expectedTypes);
  });
});

describe("HTTP API", () => {
  test("one route per route-table row plus $default, each integrated with its own function", () => {
    const routes = ofType("AWS::ApiGatewayV2::Route");
    const keys = routes.map(([, r]) => r.Properties.RouteKey as string).sort();
    assert.deepEqual(keys, [...routeList.map(routeKeyOf), "$default"].sort());

    const expectedFn = new Map<string, string>();
    for (const row of routeList) {
      const fn = stack.functions.get(row.id) ?? assert.fail(`no function for ${row.id}`);
      expectedFn.set(routeKeyOf(row), logicalIdOf(stack, fn));
    }
    const notFound = stack.functions.get("$default") ?? assert.fail("no $default function");
    expectedFn.set("$default", logicalIdOf(stack, notFound));

    for (const [, route] of routes) {
      const key = route.Properties.RouteKey as string;
      const join = (route.Properties.Target as { "Fn::Join": [string, unknown[]] })["Fn::Join"];
      const integrationId = refId(join[1][1]) ?? assert.fail(`route ${key} has no integration ref`);
      const integration = resources[integrationId] ?? assert.fail(`missing integration ${integrationId}`);
      assert.equal(integration.Properties.IntegrationType, "AWS_PROXY");
      assert.equal(getAttId(integration.Properties.IntegrationUri), expectedFn.get(key), key);
    }
  });

  test("the $default stage throttles, stricter on public routes, and waits for the routes", () => {
    const stages = ofType("AWS::ApiGatewayV2::Stage");
    assert.equal(stages.length, 1);
    const [, stage] = stages[0] ?? assert.fail("no stage");
    const p = stage.Properties;
    assert.equal(p.StageName, "$default");
    assert.equal(p.AutoDeploy, true);
    const defaults = p.DefaultRouteSettings as { ThrottlingBurstLimit: number; ThrottlingRateLimit: number };
    assert.ok(defaults.ThrottlingBurstLimit > 0 && defaults.ThrottlingRateLimit > 0, "stage throttle");

    const routeSettings = p.RouteSettings as Record<
      string,
      { ThrottlingBurstLimit: number; ThrottlingRateLimit: number }
    >;
    const publicKeys = [...routeList.filter((r) => r.exposure === "public").map(routeKeyOf), "$default"];
    assert.deepEqual(Object.keys(routeSettings).sort(), publicKeys.sort());
    for (const key of publicKeys) {
      const s = routeSettings[key] ?? assert.fail(key);
      assert.ok(s.ThrottlingBurstLimit < defaults.ThrottlingBurstLimit, `${key} burst stricter`);
      assert.ok(s.ThrottlingRateLimit < defaults.ThrottlingRateLimit, `${key} rate stricter`);
    }

    // A RouteSettings key naming a route that does not exist yet fails the deployment.
    const routeIds = ofType("AWS::ApiGatewayV2::Route").map(([id]) => id);
    for (const id of routeIds) assert.ok(stage.DependsOn?.includes(id), `stage depends on ${id}`);

    const access = p.AccessLogSettings as { DestinationArn: unknown; Format: string };
    const logGroupId = getAttId(access.DestinationArn) ?? assert.fail("access log destination");
    assert.equal(resources[logGroupId]?.Type, "AWS::Logs::LogGroup");
    assert.ok(resources[logGroupId]?.Properties.RetentionInDays, "access logs have a retention");
    assert.match(access.Format, /\$context\.requestId/);
  });

  test("no CORS configuration unless origins are given", () => {
    template.hasResourceProperties("AWS::ApiGatewayV2::Api", { CorsConfiguration: Match.absent() });

    const corsApp = unbundledApp({ corsOrigins: "https://a.example, https://b.example" });
    const corsStack = new HoardifyStack(corsApp, "Cors");
    const t = Template.fromStack(corsStack);
    t.hasResourceProperties("AWS::ApiGatewayV2::Api", {
      CorsConfiguration: Match.objectLike({
        AllowOrigins: ["https://a.example", "https://b.example"],
        // A browser may revalidate a card and read paging, ETag and back-off headers.
        AllowHeaders: ["authorization", "content-type", "if-none-match"],
        ExposeHeaders: ["Link", "ETag", "Retry-After", "X-Next-Cursor"],
      }),
    });
    t.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ CORS_ORIGINS: "https://a.example,https://b.example" }) },
    });
  });
});

describe("functions", () => {
  test("one Node 24 arm64 function per route handler plus not-found, sized from the route table", () => {
    // + the playback loop's Poll and watchdog functions and the scheduled jobs. Routes naming the
    // same handler (the dashboard's shell, pages and files) share its function.
    assert.equal(appFunctions().length, handlerCount + 1 + 2 + stack.scheduledFunctions.size);
    assert.equal(stack.functions.get("web"), stack.functions.get("webAsset"));
    assert.equal(stack.functions.get("web"), stack.functions.get("webPage"));
    for (const row of [...routeList, { id: "$default", memoryMb: undefined, timeoutSeconds: undefined }]) {
      const fn = stack.functions.get(row.id) ?? assert.fail(`no function for ${row.id}`);
      const r = resources[logicalIdOf(stack, fn)] ?? assert.fail(row.id);
      const p = r.Properties;
      assert.equal(p.Runtime, "nodejs24.x", row.id);
      assert.deepEqual(p.Architectures, ["arm64"], row.id);
      assert.equal(p.Handler, "index.handler", row.id);
      assert.equal(p.MemorySize, row.memoryMb ?? 256, row.id);
      assert.equal(p.Timeout, row.timeoutSeconds ?? 10, row.id);

      const env = (p.Environment as { Variables: Json }).Variables;
      assert.equal(refId(env.TABLE_NAME), logicalIdOf(stack, stack.table), row.id);
      assert.equal(env.ADMIN_USERNAME, "admin");
      assert.equal(env.SSM_SECRETS_PREFIX, "/hoardify/");
      assert.equal(
        env.NODE_OPTIONS,
        "--enable-source-maps",
        "HTTP stacks in the logs point into the sources",
      );
      assert.equal(env.POWERTOOLS_LOG_LEVEL, "INFO");
      assert.equal(env.SPOTIFY_CLIENT_ID, SPOTIFY_CLIENT_ID, "plain settings come from context");
      assert.equal(env.UPSTASH_REDIS_REST_URL, TEST_DEPLOY_SETTINGS.upstashRedisRestUrl);
      assert.equal(typeof env.CORS_ORIGINS, "string", `${row.id} CORS_ORIGINS`);
      // Unset, the redirect URI is the API's own callback (one deploy, no chicken-and-egg).
      assert.deepEqual(env.SPOTIFY_REDIRECT_URI, {
        "Fn::Join": [
          "",
          [{ "Fn::GetAtt": [logicalIdOf(stack, stack.httpApi), "ApiEndpoint"] }, "/spotify/callback"],
        ],
      });

      const logGroupId = refId((p.LoggingConfig as { LogGroup: unknown }).LogGroup) ?? assert.fail(row.id);
      const logGroup = resources[logGroupId] ?? assert.fail(logGroupId);
      assert.equal(logGroup.Type, "AWS::Logs::LogGroup");
      assert.equal(logGroup.Properties.RetentionInDays, 30);
      assert.equal(logGroup.DeletionPolicy, "Delete");
    }
  });

  test("every function logs JSON with Lambda's own START/END/REPORT lines at the configured level", () => {
    assert.equal(LAMBDA_SYSTEM_LOG_LEVEL, "WARN", "the cost model (bench:day) prices this choice");
    for (const [id, r] of appFunctions()) {
      const cfg = r.Properties.LoggingConfig as Json | undefined;
      assert.equal(cfg?.LogFormat, "JSON", id);
      assert.equal(cfg?.SystemLogLevel, LAMBDA_SYSTEM_LOG_LEVEL, id);
    }
  });

  test("every bundle is a minified ESM index.mjs with a source map and the require banner", () => {
    for (const [id, r] of appFunctions()) {
      // Code.S3Key is "<asset hash>.zip"; the staged bundle is <outdir>/asset.<asset hash>/.
      const key = (r.Properties.Code as { S3Key?: unknown } | undefined)?.S3Key;
      assert.equal(typeof key, "string", id);
      const dir = path.join(assemblyDir, `asset.${String(key).replace(/\.zip$/, "")}`);
      const code = fs.readFileSync(path.join(dir, "index.mjs"), "utf8");
      assert.ok(fs.existsSync(path.join(dir, "index.mjs.map")), `${id} source map`);
      assert.match(code.slice(0, 200), /createRequire/, `${id} banner`);
      // Minified: no indentation-and-newline layout (template literals keep a few newlines).
      assert.ok(code.length / code.split("\n").length > 2000, `${id} is minified`);
    }
  });

  test(`every bundle, as CDK's esbuild staged it, is under ${BUNDLE_LIMIT_BYTES} bytes`, () => {
    const sizes = ofType("AWS::Lambda::Function").flatMap(([id, r]) => {
      const key = (r.Properties.Code as { S3Key?: unknown } | undefined)?.S3Key;
      if (r.Properties.Handler !== "index.handler" || typeof key !== "string") return [];
      const file = path.join(assemblyDir, `asset.${key.replace(/\.zip$/, "")}`, "index.mjs");
      return [{ id, bytes: fs.statSync(file).size }];
    });
    // Every route handler, the not-found fallback, the loop and the watchdog.
    assert.ok(sizes.length >= handlerCount + 3, `${sizes.length} bundles`);
    const over = sizes.filter((s) => s.bytes >= BUNDLE_LIMIT_BYTES);
    assert.deepEqual(over, [], "bundles at or over the limit");
  });

  test("the web function's asset carries the built dashboard next to its bundle", () => {
    const fn = stack.functions.get("web") ?? assert.fail("no web function");
    const key = (resources[logicalIdOf(stack, fn)]?.Properties.Code as { S3Key?: unknown } | undefined)
      ?.S3Key;
    const dir = path.join(assemblyDir, `asset.${String(key).replace(/\.zip$/, "")}`, "web");
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8")) as {
      entry: { js: string; css: string | null };
      files: Record<string, unknown>;
    };
    assert.match(manifest.entry.js, /^main-[A-Z0-9]+\.js$/);
    for (const name of Object.keys(manifest.files)) {
      for (const variant of ["", ".gz", ".br"])
        assert.ok(fs.existsSync(path.join(dir, `${name}${variant}`)), name + variant);
    }
  });

  test("each function's role: own log group, table read (public GET) or read/write, SSM secrets", () => {
    const secretsPolicyIds = ofType("AWS::IAM::ManagedPolicy").map(([id]) => id);
    assert.equal(secretsPolicyIds.length, 1);
    const policies = ofType("AWS::IAM::Policy");
    const rows = [
      ...routeList.map((r) => ({ id: r.id, access: tableAccessFor(r) })),
      { id: "$default", access: "none" },
    ];
    for (const row of rows) {
      const fn = stack.functions.get(row.id) ?? assert.fail(row.id);
      const p = resources[logicalIdOf(stack, fn)]?.Properties ?? {};
      const roleId = getAttId(p.Role) ?? assert.fail(`${row.id} role`);
      const role = resources[roleId] ?? assert.fail(roleId);
      assert.deepEqual(role.Properties.ManagedPolicyArns, [{ Ref: secretsPolicyIds[0] }], row.id);

      const statements = policies
        .filter(([, pol]) => (pol.Properties.Roles as unknown[]).some((x) => refId(x) === roleId))
        .flatMap(([, pol]) => (pol.Properties.PolicyDocument as { Statement: Json[] }).Statement);
      const actions = statements.flatMap((s) => [s.Action].flat() as string[]);
      assert.ok(actions.includes("logs:PutLogEvents"), `${row.id} writes its logs`);
      assert.ok(!actions.some((a) => a.includes("*")), `${row.id} has no wildcard action`);
      assert.equal(actions.includes("dynamodb:Query"), row.access !== "none", `${row.id} reads`);
      assert.equal(
        actions.includes("dynamodb:PutItem"),
        row.access === "readwrite" || row.access === "stats",
        `${row.id} writes`,
      );
      if (row.access === "stats") {
        // Statistics reads may write their snapshots and nothing else.
        const writes = statements.filter((s) => [s.Action].flat().includes("dynamodb:PutItem"));
        assert.deepEqual(
          writes.map((s) => s.Condition),
          [{ "ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["L#*#SNAP#*"] } }],
          `${row.id} writes snapshots only`,
        );
        // What the condition lets through: every listener's snapshot keys, no other item.
        // (StringLike: `*` is any run of characters; nothing else in this pattern is special.)
        const like = (pattern: string) => new RegExp(`^${pattern.replaceAll("*", ".*")}$`);
        const allowed = like("L#*#SNAP#*");
        for (const listener of [OWNER_ID, "member-1"]) {
          const k = listenerKeys(listener);
          assert.ok(
            allowed.test(k.statsSnapshotPart("week@2026-11-23", "TRACK", 0).pk),
            `${listener} snapshot`,
          );
          assert.ok(allowed.test(k.statsSnapshotZones.pk), `${listener} snapshot zones`);
          for (const other of [
            k.track("t1").pk,
            k.playsPartition,
            k.aggregates("ALL"),
            k.counts.pk,
            k.statsGeneration.pk,
            k.spotifyLink.pk,
          ]) {
            assert.ok(!allowed.test(other), `${other} not writable by a statistics read`);
          }
        }
        assert.ok(!allowed.test(keys.statsSnapshot("week@2026-11-23")), "no unprefixed snapshot");
        assert.ok(!allowed.test(householdKeys.listeners), "no household item");
      }
    }
    assert.equal(rows.find((r) => r.id === "dashboard")?.access, "stats");
    // The OAuth callback is a public GET that must save the link.
    assert.equal(rows.find((r) => r.id === "spotifyCallback")?.access, "readwrite");
    assert.equal(rows.find((r) => r.id === "health")?.access, "read");
    // The login never reads the table: no grant (least privilege).
    assert.equal(rows.find((r) => r.id === "token")?.access, "none");
  });

  test("every route that checks a caller may read the table (a member's token names their listener item)", () => {
    const blind = routeList.filter((r) => audienceOf(r) !== "public" && tableAccessFor(r) === "none");
    assert.deepEqual(
      blind.map((r) => r.id),
      [],
    );
  });

  test("the 128 MB loop functions run without --enable-source-maps (the map's memory)", () => {
    for (const fn of [stack.pollFunction, stack.watchdogFunction]) {
      const p = resources[logicalIdOf(stack, fn)]?.Properties ?? assert.fail("no function");
      assert.equal(p.MemorySize, 128);
      const env = (p.Environment as { Variables: Json }).Variables;
      assert.equal(env.NODE_OPTIONS, undefined);
    }
  });
});

describe("playback loop", () => {
  /** Logical ids a value refers to (Ref, Fn::GetAtt), pseudo parameters excluded. */
  function refsIn(value: unknown, out = new Set<string>()): Set<string> {
    if (Array.isArray(value)) for (const v of value) refsIn(v, out);
    else if (value !== null && typeof value === "object") {
      const v = value as Json;
      if (typeof v.Ref === "string" && !v.Ref.startsWith("AWS::")) out.add(v.Ref);
      const att = v["Fn::GetAtt"];
      if (Array.isArray(att) && typeof att[0] === "string") out.add(att[0]);
      for (const x of Object.values(v)) refsIn(x, out);
    }
    return out;
  }

  test("an Express state machine whose Handover starts itself by $$.StateMachine.Id", () => {
    const machines = ofType("AWS::StepFunctions::StateMachine");
    assert.equal(machines.length, 1);
    const [machineId, machine] = machines[0] ?? assert.fail("no state machine");
    assert.equal(machine.Properties.StateMachineType, "EXPRESS");
    const states = stateMachineDefinitionOf(template.toJSON()).States as Record<string, Json>;
    const handover = states[PLAYBACK_STATES.handover] ?? assert.fail("no Handover state");
    assert.match(
      String(handover.Resource),
      /^arn:aws:states:::states:startExecution$/,
      "request-response, not .sync",
    );
    assert.deepEqual(handover.Parameters, {
      "StateMachineArn.$": "$$.StateMachine.Id",
      // The successor follows the same listener's player.
      Input: { "state.$": "$.state", "listener.$": "$.listener" },
    });
    // The grant names the machine by its fixed name: no reference to the machine itself.
    const roleId = getAttId(machine.Properties.RoleArn) ?? assert.fail("role");
    const statements = ofType("AWS::IAM::Policy")
      .filter(([, pol]) => (pol.Properties.Roles as unknown[]).some((x) => refId(x) === roleId))
      .flatMap(([, pol]) => (pol.Properties.PolicyDocument as { Statement: Json[] }).Statement);
    const start =
      statements.find((st) => st.Action === "states:StartExecution") ?? assert.fail("no self grant");
    assert.match(JSON.stringify(start.Resource), /:stateMachine:Hoardify-PlaybackLoop"/);
    assert.ok(!refsIn(start.Resource).has(machineId));
  });

  test("the watchdog runs every minute with the machine's ARN and may start only it", () => {
    const watchdogId = logicalIdOf(stack, stack.watchdogFunction);
    const machineId = logicalIdOf(stack, stack.playbackLoop.stateMachine);
    const rules = ofType("AWS::Events::Rule").filter(([, r]) =>
      (r.Properties.Targets as Json[]).some((t) => getAttId(t.Arn) === watchdogId),
    );
    assert.equal(rules.length, 1);
    assert.equal(rules[0]?.[1].Properties.ScheduleExpression, "rate(1 minute)");
    const fn = resources[watchdogId] ?? assert.fail("watchdog");
    const env = (fn.Properties.Environment as { Variables: Json }).Variables;
    assert.equal(refId(env.STATE_MACHINE_ARN), machineId);
    template.hasResourceProperties("AWS::IAM::Policy", {
      Roles: [{ Ref: getAttId(fn.Properties.Role) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: "states:StartExecution", Resource: { Ref: machineId } }),
        ]),
      },
    });
  });

  test("routes that start the loop (link, manual poll) get the machine's ARN and may start only it; no other route may", () => {
    const machineId = logicalIdOf(stack, stack.playbackLoop.stateMachine);
    const starters = routeList.filter((r) => r.startsLoop).map((r) => r.id);
    assert.deepEqual(starters.sort(), ["spotifyCallback", "spotifyPollCurrentPlayback"]);
    for (const route of routeList) {
      const fnId = logicalIdOf(stack, stack.functions.get(route.id) ?? assert.fail(route.id));
      const fn = resources[fnId] ?? assert.fail(fnId);
      const env = (fn.Properties.Environment as { Variables: Json }).Variables;
      const roleId = getAttId(fn.Properties.Role);
      const grants = ofType("AWS::IAM::Policy")
        .filter(([, pol]) => (pol.Properties.Roles as unknown[]).some((x) => refId(x) === roleId))
        .flatMap(([, pol]) => (pol.Properties.PolicyDocument as { Statement: Json[] }).Statement)
        .filter((st) => JSON.stringify(st.Action).includes("states:"));
      if (route.startsLoop) {
        assert.equal(refId(env.STATE_MACHINE_ARN), machineId, route.id);
        assert.deepEqual(
          grants.map((g) => [g.Action, refId(g.Resource)]),
          [["states:StartExecution", machineId]],
          route.id,
        );
      } else {
        assert.equal(env.STATE_MACHINE_ARN, undefined, route.id);
        assert.equal(grants.length, 0, `${route.id} may not touch Step Functions`);
      }
    }
  });

  test("each scheduled job (the hourly backfill + metadata sync) runs on its schedule", () => {
    assert.ok(SCHEDULED_JOBS.some((j) => j.schedule === "rate(1 hour)"));
    for (const job of SCHEDULED_JOBS) {
      const fn = stack.scheduledFunctions.get(job.id) ?? assert.fail(job.id);
      const fnId = logicalIdOf(stack, fn);
      const rules = ofType("AWS::Events::Rule").filter(([, r]) =>
        (r.Properties.Targets as Json[]).some((t) => getAttId(t.Arn) === fnId),
      );
      assert.deepEqual(
        rules.map(([, r]) => r.Properties.ScheduleExpression),
        [job.schedule],
      );
    }
  });

  test("the analysis runs in its own 15-minute function; only POST /analysis/run may invoke it, and only it", () => {
    const analysis = stack.scheduledFunctions.get("analysis") ?? assert.fail("no analysis function");
    const analysisId = logicalIdOf(stack, analysis);
    assert.equal(resources[analysisId]?.Properties.Timeout, 900);
    const starters = routeList.filter((r) => r.startsAnalysis).map((r) => r.id);
    assert.deepEqual(starters, ["analysisRun"]);
    const allFunctions = [...stack.functions.entries(), ...stack.scheduledFunctions.entries()];
    for (const [id, fnConstruct] of allFunctions) {
      const fnId = logicalIdOf(stack, fnConstruct);
      const fn = resources[fnId] ?? assert.fail(fnId);
      const env = (fn.Properties.Environment as { Variables: Json }).Variables;
      const roleId = getAttId(fn.Properties.Role);
      const grants = ofType("AWS::IAM::Policy")
        .filter(([, pol]) => (pol.Properties.Roles as unknown[]).some((x) => refId(x) === roleId))
        .flatMap(([, pol]) => (pol.Properties.PolicyDocument as { Statement: Json[] }).Statement)
        .filter((st) => JSON.stringify(st.Action).includes("lambda:"));
      if (id === "analysisRun") {
        assert.equal(refId(env.ANALYSIS_FUNCTION_NAME), analysisId);
        assert.deepEqual(
          grants.map((g) => [g.Action, getAttId(g.Resource)]),
          [["lambda:InvokeFunction", analysisId]],
        );
      } else {
        assert.equal(env.ANALYSIS_FUNCTION_NAME, undefined, id);
        assert.equal(grants.length, 0, `${id} may not invoke functions`);
      }
    }
  });

  test("no dependency cycle between the template's resources", () => {
    const edges = new Map<string, Set<string>>();
    for (const [id, r] of Object.entries(resources)) {
      const deps = refsIn(r.Properties);
      for (const d of r.DependsOn ?? []) deps.add(d);
      edges.set(id, deps);
    }
    const done = new Set<string>();
    const visiting: string[] = [];
    const visit = (id: string) => {
      if (done.has(id)) return;
      assert.ok(
        !visiting.includes(id),
        `cycle: ${[...visiting.slice(visiting.indexOf(id)), id].join(" → ")}`,
      );
      visiting.push(id);
      for (const d of edges.get(id) ?? []) if (edges.has(d)) visit(d);
      visiting.pop();
      done.add(id);
    };
    for (const id of edges.keys()) visit(id);
  });
});

describe("secrets", () => {
  test("no secret is an environment variable and no sample secret value reaches the template", () => {
    const text = JSON.stringify(template.toJSON());
    for (const [id, r] of appFunctions()) {
      const env = (r.Properties.Environment as { Variables: Json }).Variables;
      for (const name of SECRET_NAMES) assert.ok(!(name in env), `${id} has ${name} in its environment`);
    }
    for (const [name, value] of Object.entries(SAMPLE_SECRETS)) {
      assert.ok(!text.includes(value), `the ${name} sample value leaked into the template`);
    }
    // The same context did reach the stack: the non-secret value is there.
    assert.ok(text.includes(SPOTIFY_CLIENT_ID));
  });

  test("functions may read SSM parameters under the prefix and decrypt with alias/aws/ssm only via SSM", () => {
    template.hasResourceProperties("AWS::IAM::ManagedPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: "Allow",
            // Only what shared/secrets.ts calls (the deployed-shape IAM check found the others unused).
            Action: "ssm:GetParametersByPath",
            Resource: Match.arrayWith([
              {
                "Fn::Join": ["", Match.arrayWith([Match.stringLikeRegexp(":parameter/hoardify/\\*$")])],
              },
            ]),
          }),
          Match.objectLike({
            Effect: "Allow",
            Action: "kms:Decrypt",
            Condition: {
              StringEquals: {
                "kms:ViaService": { "Fn::Join": ["", ["ssm.", { Ref: "AWS::Region" }, ".amazonaws.com"]] },
              },
              "ForAnyValue:StringEquals": { "kms:ResourceAliases": "alias/aws/ssm" },
            },
          }),
        ]),
      },
    });
    // The secrets must come from SSM: no SecureString (or any) parameter is created by the stack.
    assert.equal(ofType("AWS::SSM::Parameter").length, 0);
  });

  test("a redirect URI that is set is used as is", () => {
    const uri = "https://hoard.example.com/spotify/callback";
    const t = Template.fromStack(new HoardifyStack(unbundledApp({ spotifyRedirectUri: uri }), "Redirect"));
    t.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ SPOTIFY_REDIRECT_URI: uri }) },
    });
    t.hasOutput("SpotifyRedirectUri", { Value: uri });
  });

  test("a prefix that would grant every parameter is refused", () => {
    for (const bad of ["/", "hoardify/", "/hoardify", "/hoar dify/"]) {
      assert.throws(
        () => new HoardifyStack(unbundledApp(), "Bad", { ssmSecretsPrefix: bad }),
        /ssmSecretsPrefix/,
      );
    }
  });
});

describe("alarms", () => {
  test("none without alertEmail (they would cost as much as the loop)", () => {
    assert.equal(ofType("AWS::CloudWatch::Alarm").length, 0);
    assert.equal(ofType("AWS::SNS::Topic").length, 0);
  });

  test("with alertEmail: a topic mailing it and one alarm per way recording stops, clean under cdk-nag", () => {
    const alertStack = new HoardifyStack(unbundledApp({ alertEmail: "me@example.com" }), "Alerts");
    const t = Template.fromStack(alertStack);
    t.resourceCountIs("AWS::SNS::Topic", 1);
    t.hasResourceProperties("AWS::SNS::Subscription", { Protocol: "email", Endpoint: "me@example.com" });
    const alarms = Object.values(t.findResources("AWS::CloudWatch::Alarm")).map(
      (r) => (r as { Properties: Json }).Properties,
    );
    const metrics = alarms.map((a) => `${String(a.Namespace)}/${String(a.MetricName)}`).sort();
    assert.deepEqual(metrics, [
      "AWS/Lambda/Errors",
      "AWS/States/ExecutionsFailed",
      "Hoardify/SpotifyNeedsReauth",
    ]);
    const topicId = Object.keys(t.findResources("AWS::SNS::Topic"))[0];
    for (const a of alarms) {
      assert.deepEqual(a.AlarmActions, [{ Ref: topicId }]);
      assert.equal(a.Threshold, 1);
      assert.equal(a.TreatMissingData, "notBreaching");
    }
    const pollErrors = alarms.find((a) => a.MetricName === "Errors") ?? assert.fail("no Errors alarm");
    assert.deepEqual(pollErrors.Dimensions, [
      { Name: "FunctionName", Value: { Ref: logicalIdOf(alertStack, alertStack.pollFunction) } },
    ]);
    const violations = new cdkNag.AwsSolutionsChecks().validateScope(alertStack).violations;
    assert.deepEqual(
      violations.filter((v) => /SNS|CW/.test(v.ruleName)).map((v) => v.ruleName),
      [],
    );
  });
});

describe("outputs", () => {
  test("API URL, table name and SSM prefix", () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    assert.ok(outputs.ApiUrl, "ApiUrl");
    assert.match(JSON.stringify(outputs.ApiUrl.Value), /execute-api/);
    assert.deepEqual(outputs.TableName?.Value, { Ref: logicalIdOf(stack, stack.table) });
    assert.equal(outputs.SsmSecretsPrefix?.Value, "/hoardify/");
  });
});

describe("cdk-nag AwsSolutions", () => {
  test("no unacknowledged error or warning", () => {
    const report = new cdkNag.AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);
    const describeAll = (sev: string) =>
      report.violations
        .filter((v) => v.severity === sev)
        .map((v) => `${v.ruleName} on ${v.violatingResources.map((r) => r.constructPath).join(", ")}`);
    assert.deepEqual(describeAll("error"), []);
    assert.deepEqual(describeAll("warning"), []);
    assert.equal(report.violations.length, 0);

    // The plugin registered on the app saw the same thing during synth.
    const file = JSON.parse(fs.readFileSync(path.join(assemblyDir, "validation-report.json"), "utf8")) as {
      pluginReports: { pluginName: string; violations?: unknown[] }[];
    };
    const nag = file.pluginReports.filter((r) => /AwsSolutions/i.test(r.pluginName));
    assert.deepEqual(
      nag.flatMap((r) => r.violations ?? []),
      [],
    );
    // And CDK itself reported no error.
    assert.deepEqual(Annotations.fromStack(stack).findError("*", Match.anyValue()), []);
  });

  test("the checks are live: without the acknowledgements exactly the acknowledged findings appear", () => {
    const acknowledged = new Set<string>();
    for (const c of stack.node.findAll()) {
      for (const m of c.node.metadata) {
        if (m.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(m.data as Record<string, unknown>)) {
          acknowledged.add(id.replace(/^annotation::/i, ""));
          assert.ok(String(reason).length >= 40, `${id} has a written reason`);
        }
      }
    }
    assert.ok(acknowledged.size > 0);

    const acknowledge = Validations.prototype.acknowledge;
    Validations.prototype.acknowledge = () => {};
    try {
      const bareApp = unbundledApp();
      const bare = new HoardifyStack(bareApp, "Hoardify");
      bareApp.synth();
      const found = new cdkNag.AwsSolutionsChecks().validateScope(bare).violations.map((v) => v.ruleName);
      assert.deepEqual(found.sort(), [...acknowledged].sort());
    } finally {
      Validations.prototype.acknowledge = acknowledge;
    }
  });
});
