/**
 * Statistics over a big hoard: loads generated histories into DynamoDB Local (bench/
 * generate-plays.ts: a loader that leaves what recordListen and the metadata sync leave,
 * test/adapter/bench-loader.test.ts), then calls each statistics route through the local HTTP
 * server for every named range and prints, beside issue 12's targets, the median latency, the
 * latency of the first call after a new listen (what an active listener sees), and the read
 * units and requests DynamoDB reports (ReturnConsumedCapacity on every call the store makes).
 * Before the routes: the first /dashboard of each range with no valid snapshot (it builds one,
 * shared/stats/snapshot.ts) and the hourly job's snapshot refresh.
 *
 * Four hoards show what the cost follows: 100,000 and 10,000 plays over three years, each over
 * a realistic library (~15,000 tracks, ~4,000 artists, ~8,000 albums) and a small one (400
 * artists). The first is then measured again as the owner of a household: BENCH_STATS_MEMBERS
 * (4) members' hoards of the same library are loaded into its table
 * (BENCH_STATS_MEMBER_PLAYS_PER_DAY each, 9.6: ~10,000 plays, ~76,000 items), and the two
 * rounds are printed side by side with their differences. Each round records the same test
 * listens and then puts back every item they touched, so both read the same owner's hoard and
 * any difference comes from the members' items (there should be none in read units or
 * requests: every key is per listener, test/e2e/household-stats-reads.test.ts).
 * BENCH_STATS_SETS=0 (the household comparison alone), BENCH_STATS_SETS=1,3 and
 * BENCH_STATS_RANGES=all,7d pick some.
 */
import type { AddressInfo } from "node:net";
import { createLocalServer } from "#infra/local/server.ts";
import { issueToken } from "#shared/auth/jwt.ts";
import { createMemoryCache } from "#shared/cache/memory.ts";
import { loadConfig } from "#shared/config.ts";
import { buildDeps, setDeps } from "#shared/deps.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import { createLyricsStore } from "#shared/lyrics/store.ts";
import { playDeltas } from "#shared/stats/aggregates.ts";
import { packClosedMonths } from "#shared/stats/packs.ts";
import { createStatsReader } from "#shared/stats/reader.ts";
import { batchGet, batchWrite } from "#shared/store/context.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import { createHousehold } from "#shared/store/household.ts";
import { createDynamoStore } from "#shared/store/repository.ts";
import { listenerKeys } from "#shared/store/table.ts";
import { playOf } from "#test/support/plays.ts";
import { meterReads, type ReadMeter } from "#test/support/read-meter.ts";
import { generateHistory, type HistoryOptions, loadHistory } from "./generate-plays.ts";
import { summarize } from "./stats.ts";

const NOW = Date.parse("2026-11-21T20:30:00.000Z");
const CALLS = Number(process.env.BENCH_STATS_CALLS ?? 11);
const SECRET = "bench-secret-bench-secret-bench-secret-0123";
const TZ = "Europe/Paris";
/** Listens recorded per route and range, each followed by one timed call (their median). */
const AFTER_LISTEN_ROUNDS = 5;

/** A realistic three-year hoard's library (issue 12): ~15,000 tracks, ~4,000 artists, ~8,000 albums. */
const BIG_LIBRARY = { artists: 4000, albums: 8000, tracks: 15_000 };
const THREE_YEARS = { days: 1095, endMs: NOW };

/** The members added to the first dataset's table for its second round, and how much each played. */
const MEMBERS = Number(process.env.BENCH_STATS_MEMBERS ?? 4);
const MEMBER_PLAYS_PER_DAY = Number(process.env.BENCH_STATS_MEMBER_PLAYS_PER_DAY ?? 9.6);

const ALL_DATASETS: { name: string; opts: HistoryOptions; members?: number }[] = [
  {
    name: "100k plays, 4,000 artists",
    opts: { playsPerDay: 96, ...THREE_YEARS, ...BIG_LIBRARY },
    members: MEMBERS,
  },
  { name: "100k plays, 400 artists", opts: { playsPerDay: 96, ...THREE_YEARS } },
  { name: "10k plays, 4,000 artists", opts: { playsPerDay: 9.6, ...THREE_YEARS, ...BIG_LIBRARY } },
  { name: "10k plays, 400 artists", opts: { playsPerDay: 9.6, ...THREE_YEARS } },
];
// BENCH_STATS_SETS=0,2 measures those datasets alone (indexes into the list above).
const DATASETS = process.env.BENCH_STATS_SETS
  ? process.env.BENCH_STATS_SETS.split(",").map(
      (i) => ALL_DATASETS[Number(i)] as (typeof ALL_DATASETS)[number],
    )
  : ALL_DATASETS;

/** GoEmotions' labels: the mood reads a vector of all 28 per analysed track. */
const LABELS =
  "admiration amusement anger annoyance approval caring confusion curiosity desire disappointment disapproval disgust embarrassment excitement fear gratitude grief joy love nervousness optimism pride realization relief remorse sadness surprise neutral".split(
    " ",
  );

const ALL_ROUTES = [
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
// BENCH_STATS_ROUTES=/stats/mood,/dashboard measures those routes alone.
const ROUTES = process.env.BENCH_STATS_ROUTES?.split(",") ?? ALL_ROUTES;
const RANGES = (process.env.BENCH_STATS_RANGES ?? "all,7d,4w,6m,1y").split(",");
/** BENCH_STATS_RECAP_ONLY=1: only the dashboard's recap routes (year, track and artist pages). */
const RECAP_ONLY = process.env.BENCH_STATS_RECAP_ONLY === "1";
/** Issue 12's targets for the median: every range under 200 ms, range=all under 100 ms. */
const targetMs = (range: string) => (range === "all" ? 100 : 200);

interface Measure {
  p50: number;
  /** Median of calls each made right after a new listen was recorded. */
  afterListen: number;
  rcu: number;
  requests: number;
}

async function measureDataset(endpoint: string, name: string, opts: HistoryOptions, members = 0) {
  const tableName = `bench-stats-${Date.now()}`;
  const loader = createDocumentClient({ region: "us-east-1", endpoint });
  await ensureTable(loader, tableName);
  const history = generateHistory(opts);
  const loaded = await loadHistory(loader, tableName, history, OWNER_ID);
  const played = (pick: (p: (typeof history.plays)[number]) => string[]) =>
    new Set(history.plays.filter((p) => p.play.counted).flatMap(pick)).size;
  console.log(
    `  ${name.padEnd(26)} ${loaded.plays} plays of ${played((p) => [p.play.track_id])} tracks, ${played((p) => p.play.artists.map((a) => a.id ?? ""))} artists, ${played((p) => [p.track.album?.id ?? ""])} albums; loaded ${loaded.items} items in ${loaded.seconds.toFixed(0)} s`,
  );

  // What the background analysis leaves: a vector for most tracks (every 10th instrumental,
  // every 7th not analysed yet), so /stats/mood reads as many vectors as a real hoard.
  const lyrics = createLyricsStore({ client: loader, tableName });
  const trackIds = [...new Set(history.plays.map((p) => p.track.track_id))];
  const analysed = trackIds.filter((_, i) => i % 7 !== 6);
  const t1 = performance.now();
  await lyrics.putEmotionsMany(
    analysed.map((id) => ({
      track_id: id,
      source: Number(id.replace(/\D/g, "")) % 10 === 9 ? ("instrumental" as const) : ("lyrics" as const),
      model: "SamLowe/roberta-base-go_emotions",
      scores: LABELS.map((label, i) => ({ label, score: ((id.length * 31 + i * 17) % 100) / 100 })),
      analyzed_at: new Date(NOW).toISOString(),
    })),
  );
  // As the first analysis run does: the packs become complete (what long-range moods read).
  await lyrics.packAllEmotions();
  console.log(
    `  ${"".padEnd(22)} ${analysed.length} of ${trackIds.length} tracks given emotion vectors in ${((performance.now() - t1) / 1000).toFixed(1)} s`,
  );

  /** One round of every route and range; each round records the same listens and takes them back. */
  const measure = async () => {
    const client = createDocumentClient({ region: "us-east-1", endpoint });
    const m = meterReads(client);
    const config = loadConfig({ TABLE_NAME: tableName, DYNAMODB_ENDPOINT: endpoint, SECRET_KEY: SECRET });
    setDeps(
      await buildDeps(config, {
        store: createDynamoStore({ client, tableName, listener: OWNER_ID }),
        lyrics: createLyricsStore({ client, tableName }),
        cache: createMemoryCache(),
        clock: () => new Date(NOW),
      }),
    );
    // Issued at the server's (fixed) clock, or it would be "in the future" once the machine passes NOW.
    const token = await issueToken({
      secret: SECRET,
      subject: OWNER_ID,
      ttlSeconds: 3600,
      now: new Date(NOW),
    });
    const server = createLocalServer({ corsOrigins: [] });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const results = new Map<string, Measure>();
    const clockAll = async () => {
      const latencies: number[] = [];
      for (let i = 0; i < 7; i++) {
        const t0 = performance.now();
        const res = await fetch(`${base}/stats/clock?range=all&tz=${TZ}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
      }
      return summarize(latencies).p50;
    };
    const store = createDynamoStore({ client: loader, tableName, listener: OWNER_ID });
    const get = async (url: string) => {
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      if (res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    };
    const timed = async (url: string) => {
      const t0 = performance.now();
      await get(url);
      return performance.now() - t0;
    };
    const urlOf = (route: string, range: string) =>
      `${base}${route}${route.includes("?") ? "&" : "?"}range=${range}&tz=${TZ}`;
    // New live listens, each a few minutes before NOW (after the snapshots' cutoff): the delta.
    let listens = 0;
    // Every item a listen's transaction touches (the play, its track, the counts, its aggregates;
    // two artists at most, so no overflow items), as it was before the round's first listen.
    const keys = listenerKeys(OWNER_ID);
    const before = new Map<string, { pk: string; sk: string }>();
    const found = new Map<string, Record<string, unknown>>();
    const listen = async () => {
      const { track } = history.plays[
        (listens * 7919) % history.plays.length
      ] as (typeof history.plays)[number];
      listens += 1;
      const play = playOf(track, NOW - listens * 2_000, 60_000, true);
      const touched = [
        keys.play(play.listened_at, play.track_id),
        keys.track(track.track_id),
        keys.counts,
        ...playDeltas(play, track.album).map((d) => keys.aggregate(d.bucket, d.dimension, d.id)),
      ].filter((k) => !before.has(`${k.pk} ${k.sk}`));
      for (const k of touched) before.set(`${k.pk} ${k.sk}`, k);
      for (const item of await batchGet(table, touched, true)) found.set(`${item.pk} ${item.sk}`, item);
      await store.recordPlay(play, track);
    };
    try {
      // The hourly job packs closed months (shared/stats/packs.ts); a fresh load has none yet.
      const unpacked = await clockAll();
      const t0 = performance.now();
      const packed = await packClosedMonths(store, NOW);
      const packMs = performance.now() - t0;
      console.log(
        `  ${"".padEnd(26)} /stats/clock range=all before the month packs: ${unpacked.toFixed(0)} ms; packing ${packed.packed} months took ${(packMs / 1000).toFixed(1)} s (the hourly job's work)`,
      );
      // The first read of a range with no valid snapshot builds it (after a deletion, an import,
      // a genre change; or the first read of a local day before the hourly job ran).
      const lazy: string[] = [];
      for (const range of RECAP_ONLY ? [] : RANGES) {
        await store.bumpStatsGeneration();
        lazy.push(`${range} ${(await timed(urlOf("/dashboard", range))).toFixed(0)} ms`);
      }
      console.log(
        `  ${"".padEnd(26)} first /dashboard with no valid snapshot (builds it): ${lazy.join(", ")}`,
      );
      if (RECAP_ONLY) {
        await recapBench(history, { base, get, timed, m, bump: () => store.bumpStatsGeneration() });
        return results;
      }
      // The hourly job then builds every named range's snapshot for the zones asked before.
      await store.bumpStatsGeneration();
      const t1 = performance.now();
      const refreshed = await createStatsReader(store).refreshSnapshots(NOW);
      console.log(
        `  ${"".padEnd(26)} hourly snapshot refresh: ${refreshed.built} snapshots (${refreshed.zones} zone) in ${((performance.now() - t1) / 1000).toFixed(1)} s`,
      );
      await recapBench(history, { base, get, timed, m, bump: () => store.bumpStatsGeneration() });
      for (const route of ROUTES) {
        for (const range of RANGES) {
          const url = urlOf(route, range);
          await get(url);
          // The read an active listener almost always makes: the first after a new listen.
          const afterListens: number[] = [];
          for (let i = 0; i < AFTER_LISTEN_ROUNDS; i++) {
            await listen();
            afterListens.push(await timed(url));
          }
          const afterListen = summarize(afterListens).p50;
          const latencies: number[] = [];
          let rcu = 0;
          let requests = 0;
          for (let i = 0; i < CALLS; i++) {
            m.reset();
            latencies.push(await timed(url));
            rcu = m.rcu;
            requests = m.requests;
          }
          results.set(`${route} ${range}`, { p50: summarize(latencies).p50, afterListen, rcu, requests });
        }
      }
    } finally {
      server.closeAllConnections();
      server.close();
    }
    // Taken back to the very items there were, so a second round reads the same hoard: today's
    // plays are read by every route, and deletePlay would leave zeroed aggregate rows behind
    // (D, M, Y and ALL), a bumped generation and moved `last_listened` on the tracks.
    await batchWrite(
      table,
      [...before].map(([id, Key]) => {
        const Item = found.get(id);
        return Item ? { PutRequest: { Item } } : { DeleteRequest: { Key } };
      }),
    );
    return results;
  };
  const table = { client: loader, TableName: tableName };
  const alone = await measure();
  if (members === 0) return [alone];
  // The same hoard again, now with other listeners' hoards in the table (other seeds, the
  // same catalog), as a household's table is.
  const household = createHousehold({ client: loader, tableName });
  for (let i = 1; i <= members; i++) {
    const id = `member${i}`;
    await household.addListener({
      listener_id: id,
      handle: `member-${i}`,
      role: "member",
      spotify_id: `account-${i}`,
      display_name: null,
      created_at: new Date(NOW).toISOString(),
      last_seen_at: null,
      public: false,
    });
    const theirs = generateHistory({ ...opts, playsPerDay: MEMBER_PLAYS_PER_DAY, seed: 42 + i });
    const l = await loadHistory(loader, tableName, theirs, id);
    console.log(`  ${"".padEnd(26)} ${id}: ${l.plays} plays, ${l.items} items in ${l.seconds.toFixed(0)} s`);
  }
  return [alone, await measure()];
}

/**
 * The dashboard's recap routes (shared/stats/recap.ts, detail.ts): /stats/year for a whole past
 * year and for this year so far, and the pages of the most played track and artist by month and
 * by week, each the median of CALLS calls with the requests and read units of the last.
 */
async function recapBench(
  history: ReturnType<typeof generateHistory>,
  h: {
    base: string;
    get: (url: string) => Promise<void>;
    timed: (url: string) => Promise<number>;
    m: ReadMeter;
    /** Drops every kept answer (the generation they were computed at moves). */
    bump: () => Promise<void>;
  },
) {
  const most = (ids: string[]) => {
    const n = new Map<string, number>();
    for (const id of ids) n.set(id, (n.get(id) ?? 0) + 1);
    return [...n].sort((a, b) => b[1] - a[1])[0]?.[0] ?? "";
  };
  const counted = history.plays.filter((p) => p.play.counted);
  const track = most(counted.map((p) => p.play.track_id));
  const artist = most(counted.flatMap((p) => p.play.artists.flatMap((a) => (a.id ? [a.id] : []))));
  const year = new Date(NOW).getUTCFullYear();
  const cases = [
    [`/stats/year?year=${year - 1}`, `year ${year - 1} (whole)`],
    [`/stats/year?year=${year - 1}`, `year ${year - 1} first read`],
    ["/stats/year", `year ${year} so far`],
    [`/stats/tracks/${encodeURIComponent(track)}?bucket=month`, "top track by month"],
    [`/stats/tracks/${encodeURIComponent(track)}?bucket=week`, "top track by week"],
    [`/stats/artists/${encodeURIComponent(artist)}?bucket=month`, "top artist by month"],
    [`/stats/artists/${encodeURIComponent(artist)}?bucket=week`, "top artist by week"],
  ] as const;
  for (const [path, label] of cases) {
    const url = `${h.base}${path}${path.includes("?") ? "&" : "?"}tz=${TZ}`;
    await h.get(url);
    const latencies: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      // A closed year's first read computes it (then keeps it): its kept answer dropped first.
      if (label.endsWith("first read")) await h.bump();
      h.m.reset();
      latencies.push(await h.timed(url));
    }
    console.log(
      `  ${"".padEnd(26)} ${label.padEnd(22)} median ${summarize(latencies).p50.toFixed(0).padStart(5)} ms, ${h.m.rcu.toFixed(1)} RCU in ${h.m.requests} requests`,
    );
  }
}

export async function statisticsBench(endpoint: string): Promise<void> {
  console.log(
    `\n## Statistics routes over generated hoards in DynamoDB Local (tz=Europe/Paris, median of ${CALLS} calls; after a new listen: median of ${AFTER_LISTEN_ROUNDS})`,
  );
  const all: Map<string, Measure>[] = [];
  const columns: string[] = [];
  for (const d of DATASETS) {
    const rounds = await measureDataset(endpoint, d.name, d.opts, d.members);
    rounds.forEach((r, i) => {
      all.push(r);
      columns.push(i === 0 ? d.name : `${d.name}, ${(d.members ?? 0) + 1} listeners`);
    });
  }
  const cell = (r: Measure | undefined, target: number) =>
    r
      ? `${r.p50.toFixed(0).padStart(4)} ms ${r.p50 < target ? "ok  " : "OVER"} ${r.afterListen.toFixed(0).padStart(4)} ms ${r.afterListen < target ? "ok  " : "OVER"} ${r.rcu.toFixed(1).padStart(6)} RCU ${String(r.requests).padStart(2)} req`
      : "";
  console.log(
    `\n  ${"route range (target)".padEnd(40)}${columns.map((c) => c.padEnd(48)).join("")}\n  ${"".padEnd(40)}${columns.map(() => "median    after a new listen  RCU      requests".padEnd(48)).join("")}`,
  );
  for (const route of ROUTES) {
    for (const range of RANGES) {
      const key = `${route} ${range}`;
      const target = targetMs(range);
      console.log(
        `  ${`${key} (< ${target} ms)`.padEnd(40)}${all.map((r) => cell(r.get(key), target).padEnd(48)).join("")}`,
      );
    }
  }
  // The household beside the single listener: the same hoard, four more in the table.
  const first = DATASETS.findIndex((d) => (d.members ?? 0) > 0);
  const single = first >= 0 ? all[first] : undefined;
  const shared = first >= 0 ? all[first + 1] : undefined;
  if (single && shared) {
    console.log(
      `\n  ${ALL_DATASETS[0]?.name}: the owner alone vs with ${MEMBERS} members' hoards in the table (median ms, RCU, requests; household minus alone)`,
    );
    for (const route of ROUTES) {
      for (const range of RANGES) {
        const key = `${route} ${range}`;
        const a = single.get(key);
        const b = shared.get(key);
        if (!a || !b) continue;
        const side = (r: Measure) =>
          `${r.p50.toFixed(0).padStart(5)} ms ${r.rcu.toFixed(1).padStart(6)} RCU ${String(r.requests).padStart(3)} req`;
        console.log(
          `  ${key.padEnd(40)} alone ${side(a)}   household ${side(b)}   ` +
            `${(b.p50 / Math.max(1, a.p50)).toFixed(2)}x time, ${(b.rcu - a.rcu).toFixed(1)} RCU, ${b.requests - a.requests} req`,
        );
      }
    }
  }
  console.log(
    "  RCU as DynamoDB Local reports it (item sizes; AWS also bills a 0.5 RCU minimum per request/key).\n" +
      "  Top lists, genres, summary and dashboard read the range's snapshot (every item's counters\n" +
      "  before today, gzip'd) plus today's plays; clock/timeline read one packed item per closed\n" +
      "  month and a DAY row per day of the current (and a partial first) month.\n" +
      "  /stats/mood: target < 200 ms median at range=all over 100,000 plays, like the other statistics;\n" +
      "  it reads the range's TRACK rows and the vectors of those tracks (the 32 packs when > 400).",
  );
}
