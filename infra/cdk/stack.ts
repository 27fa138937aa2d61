import path from "node:path";
import { fileURLToPath } from "node:url";
import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from "aws-cdk-lib";
import { AccessLogFormat } from "aws-cdk-lib/aws-apigateway";
import {
  type CfnStage,
  CorsHttpMethod,
  type CorsPreflightOptions,
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  LogGroupLogDestination,
} from "aws-cdk-lib/aws-apigatewayv2";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import { type Alarm, ComparisonOperator, Metric, TreatMissingData } from "aws-cdk-lib/aws-cloudwatch";
import { SnsAction } from "aws-cdk-lib/aws-cloudwatch-actions";
import { AttributeType, BillingMode, Table, TableEncryption } from "aws-cdk-lib/aws-dynamodb";
import { Schedule } from "aws-cdk-lib/aws-events";
import { Effect, ManagedPolicy, PolicyStatement, Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Architecture, LoggingFormat, Runtime, SystemLogLevel } from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import { Topic } from "aws-cdk-lib/aws-sns";
import { EmailSubscription } from "aws-cdk-lib/aws-sns-subscriptions";
import type { Construct } from "constructs";
import { CORS_ALLOWED_HEADERS, CORS_EXPOSED_HEADERS } from "#shared/http/cors.ts";
import { audienceOf, type RouteDef, routeKeyOf, type TableAccess } from "#shared/http/route.ts";
import { notFoundHandler, routeList, routes as routesById } from "#shared/http/routes.ts";
import { METRIC_NAMESPACE, METRICS } from "#shared/metrics.ts";
import { householdKeys, SNAPSHOT_LEADING_KEYS, tableDefinition } from "#shared/store/table.ts";
import {
  ESM_REQUIRE_BANNER,
  EXTERNAL_MODULES,
  LAMBDA_TARGET,
  MAIN_FIELDS,
  VERSION_DEFINE,
} from "./bundling.ts";
import { LAMBDA_SYSTEM_LOG_LEVEL } from "./logging.ts";
import { PlaybackLoop, scheduleFunction } from "./playback-loop.ts";
import { type DeploySettings, deploySettings, SETTING_NAMES, settingsFromContext } from "./settings.ts";

/** The dashboard's function: its asset also carries the built web/ files (infra/web/build.ts). */
const WEB_HANDLER = routesById.web.handler;

/** Where `functions/*.ts` and package-lock.json live (two levels up from infra/cdk). */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The secrets the functions read from SSM at cold start; never environment variables. */
export const SECRET_NAMES = [
  "SECRET_KEY",
  "ADMIN_PASSWORD_HASH",
  "SPOTIFY_CLIENT_SECRET",
  "UPSTASH_REDIS_REST_TOKEN",
] as const;

export interface ThrottleLimits {
  readonly burstLimit: number;
  readonly rateLimit: number;
}

export type StackRoute = RouteDef & { readonly id: string };

/** A function run by an EventBridge schedule (not behind the API). */
export interface ScheduledJob {
  /** Construct id stem: "hourly" → HourlyFunction, HourlySchedule. */
  readonly id: string;
  /** Handler file relative to the project root. */
  readonly entry: string;
  /** EventBridge schedule expression, e.g. "rate(1 hour)". */
  readonly schedule: string;
  readonly timeoutSeconds?: number;
  readonly memoryMb?: number;
}

/**
 * Scheduled jobs besides the playback watchdog (which PlaybackLoop wires itself): the hourly
 * recently-played backfill + metadata sync (docs/ARCHITECTURE.md, "The playback loop").
 */
export const SCHEDULED_JOBS: readonly ScheduledJob[] = [
  // ~100 artists/albums and a few recently-played pages per run: seconds, with room for Spotify's slow days.
  { id: "hourly", entry: "functions/hourly.ts", schedule: "rate(1 hour)", timeoutSeconds: 120 },
  // Lyrics and mood (shared/lyrics/analysis.ts): a run works up to 10 minutes (ANALYSIS_RUN_MS),
  // waiting on LRCLIB and Hugging Face (a cold model asks for a minute), so its own function
  // with Lambda's longest timeout; POST /analysis/run invokes it asynchronously.
  { id: "analysis", entry: "functions/analysis.ts", schedule: "rate(1 hour)", timeoutSeconds: 900 },
];

/**
 * The deploy settings (infra/cdk/settings.ts) come from these props, else from CDK context:
 * `hoardify.config.json` (which app.ts loads as context defaults), then `-c name=value`.
 * Secrets are deliberately absent: they live in SSM under `ssmSecretsPrefix`.
 */
export interface HoardifyStackProps extends StackProps, Partial<Omit<DeploySettings, "corsOrigins">> {
  /** The route table; defaults to shared/http/routes.ts. */
  readonly routes?: readonly StackRoute[];
  /** Entry file for the `$default` route. */
  readonly notFoundHandler?: string;
  /** Directory the handler paths are relative to; holds package-lock.json. */
  readonly projectRoot?: string;
  /** Allowed browser origins; empty (the default) means no CORS preflight config. */
  readonly corsOrigins?: readonly string[];
  /** Stage-wide throttle; default burst 50 / 20 rps. */
  readonly defaultThrottle?: ThrottleLimits;
  /** Throttle of each `exposure: "public"` route and `$default`; default burst 10 / 5 rps. */
  readonly publicThrottle?: ThrottleLimits;
  /** Default SCHEDULED_JOBS. */
  readonly scheduledJobs?: readonly ScheduledJob[];
  /** Name of the playback state machine; default `<stack name>-PlaybackLoop`. */
  readonly playbackStateMachineName?: string;
}

const DEFAULT_THROTTLE: ThrottleLimits = { burstLimit: 50, rateLimit: 20 };
const PUBLIC_THROTTLE: ThrottleLimits = { burstLimit: 10, rateLimit: 5 };
/** API Gateway HTTP APIs give up on an integration after 30 s. */
const MAX_API_TIMEOUT_SECONDS = 30;
/** Lambda's own limit, for functions not behind the API (the poll loop, scheduled jobs). */
const MAX_LAMBDA_TIMEOUT_SECONDS = 900;

const READ_ACTIONS = [
  "dynamodb:GetItem",
  "dynamodb:BatchGetItem",
  "dynamodb:Query",
  "dynamodb:Scan",
  "dynamodb:DescribeTable",
];
const WRITE_ACTIONS = [
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
  "dynamodb:BatchWriteItem",
];

/** What a "stats" function may write: statistics snapshots, derived and rebuildable. */
const SNAPSHOT_WRITE_ACTIONS = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchWriteItem"];

/** A handler needs only reads when it is public and a GET: nobody unauthenticated may write. */
export function tableAccessFor(route: Pick<RouteDef, "exposure" | "method" | "tableAccess">): TableAccess {
  if (route.tableAccess) return route.tableAccess;
  return route.exposure === "public" && route.method === "GET" ? "read" : "readwrite";
}

/**
 * Routes whose caller the middleware notes as seen (a listener's or the owner's) and whose
 * table grant is read-only ("read", "stats"): they get the one extra write that takes.
 */
export function notesLastSeen(route: Pick<RouteDef, "auth" | "audience">, access: TableAccess): boolean {
  const audience = audienceOf(route);
  return (audience === "listener" || audience === "owner") && (access === "read" || access === "stats");
}

export { routeKeyOf };

/** "not-found" → "NotFound": construct ids stay readable in the console and in cdk diff. */
function pascal(id: string): string {
  return id
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part !== "")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}

export class HoardifyStack extends Stack {
  declare readonly table: Table;
  declare readonly httpApi: HttpApi;
  declare readonly stage: HttpStage;
  /** Route id (and `$default`) → its function. */
  declare readonly functions: ReadonlyMap<string, NodejsFunction>;
  /** The Express state machine of the poll loop, its Poll and watchdog functions. */
  declare readonly playbackLoop: PlaybackLoop;
  declare readonly pollFunction: NodejsFunction;
  declare readonly watchdogFunction: NodejsFunction;
  /** Scheduled job id → its function. */
  declare readonly scheduledFunctions: ReadonlyMap<string, NodejsFunction>;
  declare readonly ssmSecretsPrefix: string;
  declare readonly settings: DeploySettings;
  /** Alarm id → alarm, when `alertEmail` is set (each mails the topic). */
  declare readonly alarms: ReadonlyMap<string, Alarm> | undefined;
  /** What SPOTIFY_REDIRECT_URI is: the setting, or the API's own callback. */
  declare readonly spotifyRedirectUri: string;

  constructor(scope: Construct, id: string, props: HoardifyStackProps = {}) {
    super(scope, id, props);

    const definedProps = Object.fromEntries(
      SETTING_NAMES.map((name) => [name, props[name]]).filter(([, v]) => v !== undefined),
    );
    // Throws one SettingsError naming every missing or bad setting: app.ts prints it.
    const settings = deploySettings({
      ...settingsFromContext((name) => this.node.tryGetContext(name)),
      ...definedProps,
    });
    const routes = props.routes ?? routeList;
    const projectRoot = props.projectRoot ?? REPO_ROOT;
    const { adminUsername, corsOrigins } = settings;
    const prefix = settings.ssmSecretsPrefix;
    this.ssmSecretsPrefix = prefix;
    this.settings = settings;
    const defaultThrottle = props.defaultThrottle ?? DEFAULT_THROTTLE;
    const publicThrottle = props.publicThrottle ?? PUBLIC_THROTTLE;

    // ---------------------------------------------------------------- table
    const attrType = (t: "S" | "N") => (t === "N" ? AttributeType.NUMBER : AttributeType.STRING);
    this.table = new Table(this, "Table", {
      partitionKey: { name: tableDefinition.partitionKey, type: AttributeType.STRING },
      sortKey: { name: tableDefinition.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      timeToLiveAttribute: tableDefinition.timeToLiveAttribute,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const gsi of tableDefinition.globalSecondaryIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: gsi.name,
        partitionKey: { name: gsi.partitionKey, type: AttributeType.STRING },
        sortKey: { name: gsi.sortKey, type: attrType(gsi.sortKeyType) },
      });
    }
    // Named resources instead of `index/*`: no wildcard for cdk-nag IAM5 to flag.
    const tableResources = [
      this.table.tableArn,
      ...tableDefinition.globalSecondaryIndexes.map((gsi) => `${this.table.tableArn}/index/${gsi.name}`),
    ];

    // -------------------------------------------------------------- secrets
    const prefixPath = prefix.replace(/\/$/, ""); // "/hoardify"
    const parameterArn = (suffix: string) =>
      `arn:${Aws.PARTITION}:ssm:${Aws.REGION}:${Aws.ACCOUNT_ID}:parameter${suffix}`;
    const secretsPolicy = new ManagedPolicy(this, "SecretsReadPolicy", {
      description: `Read the SecureString parameters under ${prefix}`,
      statements: [
        new PolicyStatement({
          sid: "ReadSecretParameters",
          // shared/secrets.ts reads them all in one GetParametersByPath; nothing asks for one by name.
          actions: ["ssm:GetParametersByPath"],
          resources: [parameterArn(prefixPath), parameterArn(`${prefix}*`)],
        }),
        new PolicyStatement({
          sid: "DecryptWithAwsManagedSsmKey",
          actions: ["kms:Decrypt"],
          resources: [`arn:${Aws.PARTITION}:kms:${Aws.REGION}:${Aws.ACCOUNT_ID}:key/*`],
          conditions: {
            StringEquals: { "kms:ViaService": `ssm.${Aws.REGION}.amazonaws.com` },
            "ForAnyValue:StringEquals": { "kms:ResourceAliases": "alias/aws/ssm" },
          },
        }),
      ],
    });
    Validations.of(secretsPolicy).acknowledge(
      {
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:<AWS::Region>:<AWS::AccountId>:parameter${prefix}*]`,
        reason: `The functions read every secret under the ${prefix} path (GetParametersByPath); the wildcard is that path, nothing wider.`,
      },
      {
        id: "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:<AWS::Region>:<AWS::AccountId>:key/*]",
        reason:
          "The AWS-managed alias/aws/ssm key id is not known at synth time; the grant is narrowed by the kms:ResourceAliases = alias/aws/ssm and kms:ViaService = ssm.<region> conditions.",
      },
    );

    // ------------------------------------------------------------------ API
    const corsPreflight: CorsPreflightOptions | undefined =
      corsOrigins.length > 0
        ? {
            allowOrigins: [...corsOrigins],
            allowMethods: [
              CorsHttpMethod.GET,
              CorsHttpMethod.POST,
              CorsHttpMethod.PUT,
              CorsHttpMethod.PATCH,
              CorsHttpMethod.DELETE,
              CorsHttpMethod.OPTIONS,
            ],
            allowHeaders: [...CORS_ALLOWED_HEADERS],
            // Without these a browser script cannot read the paging, caching and back-off headers.
            exposeHeaders: [...CORS_EXPOSED_HEADERS],
            maxAge: Duration.hours(1),
          }
        : undefined;
    this.httpApi = new HttpApi(this, "HttpApi", {
      description: "Hoardify: Spotify listening history",
      createDefaultStage: false,
      ...(corsPreflight ? { corsPreflight } : {}),
    });
    // The API's own callback unless set: one deploy, no chicken-and-egg with the API's URL. The
    // functions reference the API (not its routes or stage), so this is no dependency cycle.
    this.spotifyRedirectUri =
      settings.spotifyRedirectUri ?? `${this.httpApi.apiEndpoint}${routesById.spotifyCallback.path}`;

    // ----------------------------------------------------------- functions
    const environment: Record<string, string> = {
      TABLE_NAME: this.table.tableName,
      ADMIN_USERNAME: adminUsername,
      CORS_ORIGINS: corsOrigins.join(","),
      SPOTIFY_CLIENT_ID: settings.spotifyClientId,
      SPOTIFY_REDIRECT_URI: this.spotifyRedirectUri,
      UPSTASH_REDIS_REST_URL: settings.upstashRedisRestUrl,
      SSM_SECRETS_PREFIX: prefix,
      POWERTOOLS_LOG_LEVEL: "INFO",
      POWERTOOLS_SERVICE_NAME: "hoardify",
    };
    const lockFile = path.join(projectRoot, "package-lock.json");

    const makeFunction = (
      name: string,
      entry: string,
      access: TableAccess,
      sizing: {
        timeoutSeconds?: number | undefined;
        memoryMb?: number | undefined;
        /** Default true; the poll loop and the scheduled jobs are not (no 30 s integration limit). */
        behindApi?: boolean;
        /**
         * Default true: stacks in the logs point into the sources. Loading the ~1.2 MB map at the
         * first logged stack costs memory the 128 MB loop functions do not spare.
         */
        sourceMapStacks?: boolean;
        /** Shell commands run in the asset's directory once esbuild has bundled the handler. */
        afterBundling?: (outputDir: string) => string[];
      },
    ): NodejsFunction => {
      const timeoutSeconds = sizing.timeoutSeconds ?? 10;
      const behindApi = sizing.behindApi ?? true;
      const maxTimeout = behindApi ? MAX_API_TIMEOUT_SECONDS : MAX_LAMBDA_TIMEOUT_SECONDS;
      if (timeoutSeconds < 1 || timeoutSeconds > maxTimeout) {
        throw new Error(
          `${name}: timeoutSeconds must be 1..${maxTimeout}${behindApi ? " behind API Gateway" : ""}`,
        );
      }
      const logGroup = new LogGroup(this, `${name}Logs`, {
        retention: RetentionDays.ONE_MONTH,
        removalPolicy: RemovalPolicy.DESTROY,
      });
      // An own role instead of AWSLambdaBasicExecutionRole: writes to its own log group only.
      const role = new Role(this, `${name}Role`, {
        assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
        description: `Hoardify ${name} function`,
        managedPolicies: [secretsPolicy],
      });
      logGroup.grantWrite(role);
      if (access !== "none") {
        role.addToPolicy(
          new PolicyStatement({
            effect: Effect.ALLOW,
            actions: access === "readwrite" ? [...READ_ACTIONS, ...WRITE_ACTIONS] : READ_ACTIONS,
            resources: tableResources,
          }),
        );
      }
      if (access === "stats") {
        // Only items whose partition key is a listener's snapshot's (shared/store/table.ts,
        // `L#*#SNAP#*`): a public statistics read can build one, and can write nothing else.
        role.addToPolicy(
          new PolicyStatement({
            effect: Effect.ALLOW,
            actions: SNAPSHOT_WRITE_ACTIONS,
            resources: [this.table.tableArn],
            conditions: { "ForAllValues:StringLike": { "dynamodb:LeadingKeys": [SNAPSHOT_LEADING_KEYS] } },
          }),
        );
      }
      return new NodejsFunction(this, `${name}Function`, {
        entry: path.resolve(projectRoot, entry),
        handler: "handler",
        projectRoot,
        depsLockFilePath: lockFile,
        runtime: Runtime.NODEJS_24_X,
        architecture: Architecture.ARM_64,
        memorySize: sizing.memoryMb ?? 256,
        timeout: Duration.seconds(timeoutSeconds),
        role,
        logGroup,
        // JSON is what a system log level needs; the functions log JSON already (Powertools).
        loggingFormat: LoggingFormat.JSON,
        systemLogLevelV2: SystemLogLevel[LAMBDA_SYSTEM_LOG_LEVEL],
        environment:
          (sizing.sourceMapStacks ?? true)
            ? { ...environment, NODE_OPTIONS: "--enable-source-maps" }
            : environment,
        bundling: {
          minify: true,
          sourceMap: true,
          format: OutputFormat.ESM,
          target: LAMBDA_TARGET,
          mainFields: MAIN_FIELDS,
          externalModules: EXTERNAL_MODULES,
          banner: ESM_REQUIRE_BANNER,
          define: VERSION_DEFINE,
          ...(sizing.afterBundling
            ? {
                commandHooks: {
                  beforeBundling: () => [],
                  beforeInstall: () => [],
                  afterBundling: (_inputDir: string, outputDir: string) =>
                    sizing.afterBundling?.(outputDir) ?? [],
                },
              }
            : {}),
        },
      });
    };

    const functions = new Map<string, NodejsFunction>();
    // Routes naming the same handler share one function (the dashboard's shell, pages and files).
    const byHandler = new Map<string, { fn: NodejsFunction; route: StackRoute }>();
    for (const route of routes) {
      const shared = byHandler.get(route.handler);
      if (shared) {
        const same = (r: StackRoute) =>
          JSON.stringify([
            tableAccessFor(r),
            notesLastSeen(r, tableAccessFor(r)),
            r.timeoutSeconds,
            r.memoryMb,
            r.startsLoop,
            r.startsAnalysis,
          ]);
        if (same(shared.route) !== same(route))
          throw new Error(
            `${route.id} shares ${route.handler} with ${shared.route.id} but not its sizing or grants`,
          );
        functions.set(route.id, shared.fn);
        continue;
      }
      const access = tableAccessFor(route);
      const fn = makeFunction(pascal(route.id), route.handler, access, {
        timeoutSeconds: route.timeoutSeconds,
        memoryMb: route.memoryMb,
        // The dashboard's files travel in the web function's asset, built next to its bundle.
        ...(route.handler === WEB_HANDLER
          ? {
              afterBundling: (outputDir: string) => [
                `"${process.execPath}" "${path.join(projectRoot, "infra/web/build.ts")}" "${path.join(outputDir, "web")}"`,
              ],
            }
          : {}),
      });
      if (notesLastSeen(route, access)) {
        // The middleware notes the caller's last_seen_at (shared/listeners/seen.ts): a route
        // that otherwise only reads may update the household's listener items, nothing else.
        fn.addToRolePolicy(
          new PolicyStatement({
            effect: Effect.ALLOW,
            actions: ["dynamodb:UpdateItem"],
            resources: [this.table.tableArn],
            conditions: {
              "ForAllValues:StringEquals": { "dynamodb:LeadingKeys": [householdKeys.listeners] },
            },
          }),
        );
      }
      byHandler.set(route.handler, { fn, route });
      functions.set(route.id, fn);
    }
    const notFoundFn = makeFunction("NotFound", props.notFoundHandler ?? notFoundHandler, "none", {});
    functions.set("$default", notFoundFn);
    this.functions = functions;

    // -------------------------------------------------------- playback loop
    // One tick per Poll state: a Spotify call, a DynamoDB write when a listen ends, a cache write.
    // 128 MB: the tick waits on the network, not the CPU, and it runs ~7,000 times a day of music
    // (the simulated-day bench prices it). Without --enable-source-maps: the bundle loaded and one
    // error's stack read peaks at 86 MB RSS instead of 93 MB (bare Node 24, before the Lambda
    // runtime's own share). 20 s: the worst tick (token refresh + player call at the loop's 3 s x 2
    // attempts, about 13 s, plus the writes) fits, and the handler answers 2 s before it anyway.
    this.pollFunction = makeFunction("PollLoop", "functions/poll-loop.ts", "readwrite", {
      timeoutSeconds: 20,
      memoryMb: 128,
      behindApi: false,
      sourceMapStacks: false,
    });
    // 35 s: the watchdog asks Spotify with the client's default 5 s x 3 attempts; a token refresh
    // and a player call both at their worst are 2 x (15 s + 0.5 s back-off) = 31 s.
    this.watchdogFunction = makeFunction("Watchdog", "functions/watchdog.ts", "readwrite", {
      timeoutSeconds: 35,
      memoryMb: 128,
      behindApi: false,
      sourceMapStacks: false,
    });
    this.playbackLoop = new PlaybackLoop(this, "PlaybackLoop", {
      pollFunction: this.pollFunction,
      watchdogFunction: this.watchdogFunction,
      stateMachineName: props.playbackStateMachineName ?? `${this.stackName}-PlaybackLoop`,
    });
    for (const route of routes) {
      const fn = functions.get(route.id);
      if (route.startsLoop && fn) this.playbackLoop.allowStart(fn);
    }

    const scheduledFunctions = new Map<string, NodejsFunction>();
    for (const job of props.scheduledJobs ?? SCHEDULED_JOBS) {
      const fn = makeFunction(pascal(job.id), job.entry, "readwrite", {
        timeoutSeconds: job.timeoutSeconds,
        memoryMb: job.memoryMb,
        behindApi: false,
      });
      scheduleFunction(this, `${pascal(job.id)}Schedule`, {
        fn,
        schedule: Schedule.expression(job.schedule),
        description: `Hoardify ${job.id} job`,
        // A late run is still useful, a second one right behind it is not.
        maxEventAge: Duration.minutes(15),
      });
      scheduledFunctions.set(job.id, fn);
    }
    this.scheduledFunctions = scheduledFunctions;
    const analysisFn = scheduledFunctions.get("analysis");
    for (const route of routes) {
      const fn = functions.get(route.id);
      if (!route.startsAnalysis || !fn) continue;
      if (!analysisFn) throw new Error(`${route.id} starts the analysis, but no "analysis" job is scheduled`);
      fn.addEnvironment("ANALYSIS_FUNCTION_NAME", analysisFn.functionName);
      // The unqualified function only: grantInvoke would add `:*` (every version and alias).
      fn.addToRolePolicy(
        new PolicyStatement({ actions: ["lambda:InvokeFunction"], resources: [analysisFn.functionArn] }),
      );
    }

    // ------------------------------------------------------------------ routes
    const apiRoutes: HttpRoute[] = [];
    for (const route of routes) {
      const fn = functions.get(route.id);
      if (!fn) throw new Error(`no function for route ${route.id}`);
      apiRoutes.push(
        ...this.httpApi.addRoutes({
          path: route.path,
          methods: [HttpMethod[route.method]],
          integration: new HttpLambdaIntegration(`${pascal(route.id)}Integration`, fn),
        }),
      );
    }
    apiRoutes.push(
      new HttpRoute(this.httpApi, "DefaultRoute", {
        httpApi: this.httpApi,
        routeKey: HttpRouteKey.DEFAULT,
        integration: new HttpLambdaIntegration("NotFoundIntegration", notFoundFn),
      }),
    );
    Validations.of(this.httpApi).acknowledge({
      id: "AwsSolutions-APIG4",
      reason:
        "Authorization is done in the function with a JWT (bearer routes); the token endpoint, health, docs and public now-playing routes must stay open.",
    });

    const accessLogs = new LogGroup(this, "ApiAccessLogs", {
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, "DefaultStage", {
      httpApi: this.httpApi,
      stageName: "$default",
      autoDeploy: true,
      throttle: defaultThrottle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: "$context.requestId",
            ip: "$context.identity.sourceIp",
            time: "$context.requestTime",
            method: "$context.httpMethod",
            path: "$context.path",
            routeKey: "$context.routeKey",
            status: "$context.status",
            protocol: "$context.protocol",
            responseLength: "$context.responseLength",
            latencyMs: "$context.responseLatency",
            integrationLatencyMs: "$context.integrationLatency",
            integrationError: "$context.integrationErrorMessage",
          }),
        ),
      },
    });
    // The L2 stage has no per-route throttle; RouteSettings on the L1 does. A RouteSettings key
    // must name an existing route, so the stage waits for the routes.
    const routeSettings: Record<string, { ThrottlingBurstLimit: number; ThrottlingRateLimit: number }> = {};
    const publicKeys = [...routes.filter((r) => r.exposure === "public").map(routeKeyOf), "$default"];
    for (const key of publicKeys) {
      routeSettings[key] = {
        ThrottlingBurstLimit: publicThrottle.burstLimit,
        ThrottlingRateLimit: publicThrottle.rateLimit,
      };
    }
    const cfnStage = this.stage.node.defaultChild as CfnStage;
    cfnStage.routeSettings = routeSettings;
    for (const r of apiRoutes) cfnStage.node.addDependency(r);

    // --------------------------------------------------------------- alarms
    if (settings.alertEmail) this.alarms = this.addAlarms(settings.alertEmail);

    // -------------------------------------------------------------- outputs
    new CfnOutput(this, "ApiUrl", { value: this.stage.url, description: "Base URL of the HTTP API" });
    new CfnOutput(this, "SpotifyRedirectUri", {
      value: this.spotifyRedirectUri,
      description: "Add this redirect URI to your Spotify app (developer dashboard → Edit settings)",
    });
    new CfnOutput(this, "TableName", { value: this.table.tableName, description: "DynamoDB table" });
    new CfnOutput(this, "PlaybackStateMachineArn", {
      value: this.playbackLoop.stateMachine.stateMachineArn,
      description: "Express state machine of the playback loop (the watchdog starts it)",
    });
    new CfnOutput(this, "SsmSecretsPrefix", {
      value: prefix,
      description: `Put SECRET_KEY, ADMIN_PASSWORD_HASH, SPOTIFY_CLIENT_SECRET, UPSTASH_REDIS_REST_TOKEN here with: aws ssm put-parameter --type SecureString --name ${prefix}<NAME>`,
    });
  }

  /**
   * Know when recording stops: a topic mailing `email` and one alarm per way the loop dies
   * quietly. Only with an address: three alarms cost about as much a month as the loop itself.
   */
  private addAlarms(email: string): ReadonlyMap<string, Alarm> {
    const topic = new Topic(this, "AlertTopic", { displayName: "Hoardify alerts", enforceSSL: true });
    topic.addSubscription(new EmailSubscription(email));
    Validations.of(topic).acknowledge({
      id: "AwsSolutions-SNS2",
      reason:
        "CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key, and a customer key costs $1 a month; the alerts carry alarm names only.",
    });
    const fiveMinutes = Duration.minutes(5);
    const alarms = new Map<string, Alarm>([
      [
        "LoopTaskFailures",
        this.playbackLoop.stateMachine
          .metricFailed({ period: fiveMinutes, statistic: "Sum" })
          .createAlarm(this, "LoopTaskFailuresAlarm", {
            alarmDescription:
              "A playback-loop execution failed (a Poll or Handover task); the watchdog restarts it within a minute. See JOB#playback-loop.",
            threshold: 1,
            evaluationPeriods: 1,
            comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treatMissingData: TreatMissingData.NOT_BREACHING,
          }),
      ],
      [
        "PollErrors",
        this.pollFunction
          .metricErrors({ period: fiveMinutes, statistic: "Sum" })
          .createAlarm(this, "PollErrorsAlarm", {
            alarmDescription: "The poll function threw or timed out (see its log group).",
            threshold: 1,
            evaluationPeriods: 1,
            comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treatMissingData: TreatMissingData.NOT_BREACHING,
          }),
      ],
      [
        "SpotifyNeedsReauth",
        new Metric({
          namespace: METRIC_NAMESPACE,
          metricName: METRICS.spotifyNeedsReauth,
          period: Duration.hours(1),
          statistic: "Sum",
        }).createAlarm(this, "SpotifyNeedsReauthAlarm", {
          alarmDescription:
            "Spotify revoked the link: nothing is recorded until you open /spotify/authorize again.",
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      ],
    ]);
    for (const alarm of alarms.values()) alarm.addAlarmAction(new SnsAction(topic));
    return alarms;
  }
}
