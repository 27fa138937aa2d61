/**
 * Statistics over a big hoard: loads generated histories into DynamoDB Local (bench/
 * generate-plays.ts: a loader equivalent to recordPlay), then calls each statistics route
 * through the local HTTP server and prints the median latency and the read capacity DynamoDB
 * reports (ReturnConsumedCapacity on every call the store makes) for range=all and range=7d.
 *
 * Three histories show what the cost follows: 100,000 plays over three years; the same habits
 * over 110 days (10,000 plays); and 10,000 plays spread thinly over the same three years. Cost
 * follows distinct items × buckets (and UTC days for clock and timeline), not the plays.
 */
import type { AddressInfo } from "node:net";
import type { ConsumedCapacity } from "@aws-sdk/client-dynamodb";
import { createLocalServer } from "#infra/local/server.ts";
import { issueToken } from "#shared/auth/jwt.ts";
import { createMemoryCache } from "#shared/cache/memory.ts";
import { mapLimit } from "#shared/concurrency.ts";
import { loadConfig } from "#shared/config.ts";
import { buildDeps, setDeps } from "#shared/deps.ts";
import { createLyricsStore } from "#shared/lyrics/store.ts";
import { packClosedMonths } from "#shared/stats/packs.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import { createDynamoStore } from "#shared/store/repository.ts";
import { generateHistory, type HistoryOptions, loadHistory } from "./generate-plays.ts";
import { summarize } from "./stats.ts";

const NOW = Date.parse("2026-11-21T20:30:00.000Z");
const CALLS = Number(process.env.BENCH_STATS_CALLS ?? 20);
const SECRET = "bench-secret-bench-secret-bench-secret-0123";

// BENCH_STATS_DATASETS=1 measures the first (100,000 plays) alone.
const DATASETS: { name: string; opts: HistoryOptions }[] = [
  { name: "100k plays / 3 years", opts: { playsPerDay: 96, days: 1095, endMs: NOW } },
  { name: "10k plays / 110 days", opts: { playsPerDay: 96, days: 110, endMs: NOW } },
  { name: "10k plays / 3 years", opts: { playsPerDay: 9.6, days: 1095, endMs: NOW } },
].slice(0, Number(process.env.BENCH_STATS_DATASETS ?? 3));

/** GoEmotions' labels: the mood reads a vector of all 28 per analysed track. */
const LABELS =
  "admiration amusement anger annoyance approval caring confusion curiosity desire disappointment disapproval disgust embarrassment excitement fear gratitude grief joy love nervousness optimism pride realization relief remorse sadness surprise neutral".split(
    " ",
  );

const ROUTES = [
  "/stats/top-tracks",
  "/stats/top-artists",
  "/stats/top-albums",
  "/stats/top-genres",
  "/stats/summary",
  "/stats/clock",
  "/stats/timeline?bucket=week",
  "/stats/mood",
  "/dashboard",
];
const RANGES = ["all", "7d"];

interface Measure {
  p50: number;
  rcu: number;
  requests: number;
}

/** Adds ReturnConsumedCapacity to every call of this client and sums what comes back. */
function meter(client: ReturnType<typeof createDocumentClient>) {
  const m = { rcu: 0, requests: 0 };
  client.middlewareStack.add(
    (next) => async (args) => {
      (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = "TOTAL";
      const out = await next(args);
      const used = (out.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] })
        .ConsumedCapacity;
      for (const c of [used ?? []].flat()) m.rcu += c.ReadCapacityUnits ?? c.CapacityUnits ?? 0;
      m.requests += 1;
      return out;
    },
    { step: "initialize", name: "benchCapacityMeter" },
  );
  return m;
}

async function measureDataset(endpoint: string, name: string, opts: HistoryOptions) {
  const tableName = `bench-stats-${Date.now()}`;
  const loader = createDocumentClient({ region: "us-east-1", endpoint });
  await ensureTable(loader, tableName);
  const history = generateHistory(opts);
  const loaded = await loadHistory(loader, tableName, history);
  console.log(
    `  ${name.padEnd(22)} loaded ${loaded.plays} plays + ${loaded.aggregates} aggregate items (${loaded.items} items) in ${loaded.seconds.toFixed(0)} s (${Math.round(loaded.items / loaded.seconds)} items/s)`,
  );

  // What the background analysis leaves: a vector for most tracks (every 10th instrumental,
  // every 7th not analysed yet), so /stats/mood reads as many vectors as a real hoard.
  const lyrics = createLyricsStore({ client: loader, tableName });
  const trackIds = [...new Set(history.plays.map((p) => p.track.track_id))];
  const analysed = trackIds.filter((_, i) => i % 7 !== 6);
  const t1 = performance.now();
  await mapLimit(analysed, 16, (id) =>
    lyrics.putEmotions({
      track_id: id,
      source: Number(id.replace(/\D/g, "")) % 10 === 9 ? "instrumental" : "lyrics",
      model: "SamLowe/roberta-base-go_emotions",
      scores: LABELS.map((label, i) => ({ label, score: ((id.length * 31 + i * 17) % 100) / 100 })),
      analyzed_at: new Date(NOW).toISOString(),
    }),
  );
  console.log(
    `  ${"".padEnd(22)} ${analysed.length} of ${trackIds.length} tracks given emotion vectors in ${((performance.now() - t1) / 1000).toFixed(1)} s`,
  );

  const client = createDocumentClient({ region: "us-east-1", endpoint });
  const m = meter(client);
  const config = loadConfig({ TABLE_NAME: tableName, DYNAMODB_ENDPOINT: endpoint, SECRET_KEY: SECRET });
  setDeps(
    await buildDeps(config, {
      store: createDynamoStore({ client, tableName }),
      lyrics: createLyricsStore({ client, tableName }),
      cache: createMemoryCache(),
      clock: () => new Date(NOW),
    }),
  );
  // Issued at the clock the server reads (NOW), or its iat would lie in the future.
  const token = await issueToken({ secret: SECRET, subject: "admin", ttlSeconds: 3600, now: new Date(NOW) });
  const server = createLocalServer({ corsOrigins: [] });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const results = new Map<string, Measure>();
  const clockAll = async () => {
    const latencies: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t0 = performance.now();
      const res = await fetch(`${base}/stats/clock?range=all&tz=Europe/Paris`, {
        headers: { authorization: `Bearer ${token}` },
      });
      await res.arrayBuffer();
      latencies.push(performance.now() - t0);
    }
    return summarize(latencies).p50;
  };
  try {
    // The hourly job packs closed months (shared/stats/packs.ts); a fresh load has none yet.
    const unpacked = await clockAll();
    const t0 = performance.now();
    const packed = await packClosedMonths(createDynamoStore({ client: loader, tableName }), NOW);
    const packMs = performance.now() - t0;
    console.log(
      `  ${"".padEnd(22)} /stats/clock range=all before the month packs: ${unpacked.toFixed(0)} ms; packing ${packed.packed} months took ${(packMs / 1000).toFixed(1)} s (the hourly job's work)`,
    );
    for (const route of ROUTES) {
      for (const range of RANGES) {
        const url = `${base}${route}${route.includes("?") ? "&" : "?"}range=${range}&tz=Europe/Paris`;
        const call = async () => {
          const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
          if (res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`);
          await res.arrayBuffer();
        };
        await call();
        await call();
        const latencies: number[] = [];
        let rcu = 0;
        let requests = 0;
        for (let i = 0; i < CALLS; i++) {
          m.rcu = 0;
          m.requests = 0;
          const t0 = performance.now();
          await call();
          latencies.push(performance.now() - t0);
          rcu = m.rcu;
          requests = m.requests;
        }
        results.set(`${route} ${range}`, { p50: summarize(latencies).p50, rcu, requests });
      }
    }
  } finally {
    server.closeAllConnections();
    server.close();
  }
  return results;
}

export async function statisticsBench(endpoint: string): Promise<void> {
  console.log(
    `\n## Statistics routes over generated hoards in DynamoDB Local (tz=Europe/Paris, median of ${CALLS} calls)`,
  );
  const all: Map<string, Measure>[] = [];
  for (const d of DATASETS) all.push(await measureDataset(endpoint, d.name, d.opts));
  const cell = (r: Measure | undefined) =>
    r
      ? `${r.p50.toFixed(0).padStart(4)} ms ${r.rcu.toFixed(1).padStart(7)} RCU ${String(r.requests).padStart(3)} req`
      : "";
  console.log(`\n  ${"route".padEnd(34)}${DATASETS.map((d) => d.name.padEnd(30)).join("")}`);
  for (const route of ROUTES) {
    for (const range of RANGES) {
      const key = `${route} ${range}`;
      console.log(
        `  ${`${route} ${range}`.padEnd(34)}${all.map((r) => cell(r.get(key)).padEnd(30)).join("")}`,
      );
    }
  }
  console.log(
    "  RCU as DynamoDB Local reports it (item sizes; AWS also bills a 0.5 RCU minimum per request/key).\n" +
      "  Cost follows distinct items × buckets: the same habits over 10× the days cost the same for 7d;\n" +
      "  all-time top lists read the ALL bucket; clock/timeline read one packed item per closed month\n" +
      "  and a DAY row per day of the current (and a partial first) month.\n" +
      "  /stats/mood: target < 200 ms median at range=all over 100,000 plays, like the other statistics;\n" +
      "  it reads the range's TRACK rows and the vectors of those tracks (one index Query when > 400).",
  );
}
