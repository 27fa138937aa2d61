/**
 * `npm run bench`: prints numbers, asserts nothing. Medians and p99 over many requests; this
 * machine is noisy, so compare ratios against the baseline printed beside them.
 *   1. bundle size of every Lambda (same esbuild settings as the CDK stack)
 *   2. HTTP latency through the local server (a second process sends the load), beside a
 *      baseline server that answers a constant string
 *   3. recordPlay (the play transaction) into DynamoDB Local
 *   4. a simulated day of listening: calls, invocations, writes and the monthly AWS bill,
 *      adaptive Express loop vs a naive 1 s Standard loop
 */
import { execFile } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { EXTERNAL_MODULES, LAMBDA_TARGET, MAIN_FIELDS } from "#infra/cdk/bundling.ts";
import { startDynamoDbLocal } from "#infra/local/processes.ts";
import { createLocalServer } from "#infra/local/server.ts";
import { hashPassword } from "#shared/auth/password.ts";
import { createMemoryCache } from "#shared/cache/memory.ts";
import { loadConfig } from "#shared/config.ts";
import { buildDeps, setDeps } from "#shared/deps.ts";
import type { Play } from "#shared/domain/entities.ts";
import { notFoundHandler, routeList } from "#shared/http/routes.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import { createDynamoStore } from "#shared/store/repository.ts";
import { simulatedDayBench } from "./simulated-day.ts";
import { fmt, kb, summarize } from "./stats.ts";

process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
const root = fileURLToPath(new URL("..", import.meta.url));
const N = Number(process.env.BENCH_REQUESTS ?? 2000);

async function bundleSizes() {
  console.log("\n## Lambda bundle sizes (minified ESM, @aws-sdk external, as deployed)");
  // Every file in functions/ is one Lambda: the routes, the not-found fallback, the loop and jobs.
  const { readdirSync } = await import("node:fs");
  const files = readdirSync(`${root}functions`)
    .filter((f) => f.endsWith(".ts"))
    .map((f) => `functions/${f}`)
    .sort();
  const routed = new Set<string>([...routeList.map((r) => r.handler), notFoundHandler]);
  for (const file of files) {
    const out = await build({
      entryPoints: [`${root}${file}`],
      bundle: true,
      minify: true,
      write: false,
      platform: "node",
      format: "esm",
      target: LAMBDA_TARGET,
      mainFields: MAIN_FIELDS,
      external: EXTERNAL_MODULES,
      metafile: true,
      logLevel: "silent",
    });
    const bytes = out.outputFiles[0]?.contents.byteLength ?? 0;
    const gz = (await import("node:zlib")).gzipSync(
      out.outputFiles[0]?.contents ?? new Uint8Array(),
    ).byteLength;
    const role = routed.has(file) ? "" : "  (not an HTTP route)";
    console.log(`  ${file.padEnd(44)} ${kb(bytes).padStart(10)}  (${kb(gz)} gzipped)${role}`);
  }
}

async function load(spec: Record<string, unknown>) {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [`${root}bench/load.ts`, JSON.stringify(spec)],
    {
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return JSON.parse(stdout) as { latencies: number[]; bytes: number; statuses: Record<string, number> };
}

async function httpLatency(endpoint: string) {
  console.log(`\n## HTTP latency through the local server (${N} sequential requests from a second process)`);
  const config = loadConfig({
    TABLE_NAME: `bench-${Date.now()}`,
    DYNAMODB_ENDPOINT: endpoint,
    SECRET_KEY: "bench-secret-bench-secret-bench-secret-0123",
    ADMIN_PASSWORD_HASH: await hashPassword("bench-password-123", 12),
  });
  await ensureTable(createDocumentClient({ region: config.AWS_REGION, endpoint }), config.TABLE_NAME);
  setDeps(await buildDeps(config, { cache: createMemoryCache() }));
  const server = createLocalServer({ corsOrigins: [] });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const baseline = createServer((_req, res) => res.end("ok"));
  await new Promise<void>((ok) => baseline.listen(0, "127.0.0.1", ok));
  const baseUrl = `http://127.0.0.1:${(baseline.address() as AddressInfo).port}/`;

  const tokenRes = await fetch(`${base}/token`, {
    method: "POST",
    body: new URLSearchParams({ username: "admin", password: "bench-password-123" }),
  });
  const { access_token } = (await tokenRes.json()) as { access_token: string };

  const cases: [string, Record<string, unknown>][] = [
    ["baseline (constant string)", { url: baseUrl, n: N }],
    ["GET /health", { url: `${base}/health`, n: N }],
    [
      "GET /plays (bearer, empty)",
      { url: `${base}/plays?limit=50`, n: N, headers: { authorization: `Bearer ${access_token}` } },
    ],
    ["GET /no-such-route (404)", { url: `${base}/no-such-route`, n: N }],
    [
      "POST /token (bcrypt, 12 rounds)",
      {
        url: `${base}/token`,
        n: 20,
        warmup: 2,
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "username=admin&password=bench-password-123",
      },
    ],
  ];
  let baselineP50 = 0;
  for (const [name, spec] of cases) {
    const r = await load(spec);
    const s = summarize(r.latencies);
    if (name.startsWith("baseline")) baselineP50 = s.p50;
    const ratio = baselineP50 > 0 ? `${(s.p50 / baselineP50).toFixed(1)}x baseline` : "";
    console.log(
      `  ${name.padEnd(34)} p50 ${fmt(s.p50).padStart(10)}  p99 ${fmt(s.p99).padStart(10)}  ${String(r.bytes).padStart(5)} B  ${ratio}  ${JSON.stringify(r.statuses)}`,
    );
  }
  server.close();
  baseline.close();
}

async function recordPlays(endpoint: string) {
  const n = Number(process.env.BENCH_PLAYS ?? 300);
  console.log(`\n## recordPlay into DynamoDB Local (${n} plays over 30 tracks, sequential)`);
  const client = createDocumentClient({ region: "us-east-1", endpoint });
  const tableName = `bench-plays-${Date.now()}`;
  await ensureTable(client, tableName);
  const store = createDynamoStore({ client, tableName });
  const latencies: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const id = `t${i % 30}`;
    const at = new Date(Date.UTC(2026, 0, 1) + i * 200_000).toISOString();
    const artists = [{ id: `a${i % 7}`, name: "A" }];
    const play: Play = {
      track_id: id,
      kind: "track",
      name: id,
      artists,
      album_id: `al${i % 11}`,
      listened_at: at,
      ended_at: at,
      listened_ms: 180_000,
      duration_ms: 200_000,
      counted: i % 5 !== 0,
      estimated: false,
      source: "poll",
      device_name: null,
      device_type: null,
      context_type: null,
      context_uri: null,
      shuffle_state: null,
    };
    const s = performance.now();
    await store.recordPlay(play, {
      track_id: id,
      kind: "track",
      name: id,
      uri: `spotify:track:${id}`,
      artists,
      album: null,
      duration_ms: 200_000,
    });
    latencies.push(performance.now() - s);
  }
  const total = (performance.now() - t0) / 1000;
  const s = summarize(latencies);
  console.log(
    `  ${(n / total).toFixed(0)} plays/s; per play p50 ${fmt(s.p50)}, p99 ${fmt(s.p99)} (1 read + 1 transaction of 3-6 items)`,
  );
}

const dynamo = await startDynamoDbLocal();
try {
  await bundleSizes();
  await httpLatency(dynamo.endpoint);
  await recordPlays(dynamo.endpoint);
  await simulatedDayBench(dynamo.endpoint);
} finally {
  await dynamo.stop();
}
