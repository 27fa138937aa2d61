import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { createLocalServer } from "#infra/local/server.ts";
import { issueToken } from "#shared/auth/jwt.ts";
import { createMemoryCache } from "#shared/cache/memory.ts";
import { loadConfig } from "#shared/config.ts";
import { buildDeps, setDeps } from "#shared/deps.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import { statsRoutes } from "#shared/http/routes/stats.ts";
import { createLyricsStore } from "#shared/lyrics/store.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import { createDynamoStore } from "#shared/store/repository.ts";
import { meterReads, type ReadMeter } from "#test/support/read-meter.ts";
import { dynamoEndpoint, uniqueTableName } from "#test/support/services.ts";
import { generateHistory, type History, loadHistory } from "../../bench/generate-plays.ts";

/**
 * Every key a statistic reads is its listener's own (shared/store/table.ts) or the shared
 * catalog's, by id: other listeners' hoards in the table change neither what the owner's
 * statistics answer nor what they cost. Every statistics route (the route table's), over named
 * and custom ranges, answers the owner the same body with the same requests and read units
 * before and after two members' hoards of the same library are loaded into the table — the
 * invariant bench/statistics.ts measures at 100,000 plays.
 */

const NOW = Date.parse("2026-11-21T20:30:00.000Z");
const SECRET = "test-secret-key-that-is-long-enough-0123456789";
const TZ = "Europe/Paris";
const LIBRARY = { artists: 30, albums: 50, tracks: 120 };
const history = (seed: number, playsPerDay: number): History =>
  generateHistory({ playsPerDay, days: 400, endMs: NOW, seed, ...LIBRARY });
const owner = history(42, 2);

/** The owner's most played id of a kind (the item pages need one that exists). */
const mostPlayed = (ids: string[]) => {
  const n = new Map<string, number>();
  for (const id of ids) n.set(id, (n.get(id) ?? 0) + 1);
  return [...n].sort((a, b) => b[1] - a[1])[0]?.[0] ?? "";
};
const track = mostPlayed(owner.plays.map((p) => p.play.track_id));
const artist = mostPlayed(owner.plays.flatMap((p) => p.play.artists.flatMap((a) => (a.id ? [a.id] : []))));

/** Each statistics route of the route table with the queries it is read with. */
const RANGES = ["range=all", "range=7d", "range=1y", "from=2026-02-10&to=2026-06-20"];
const urls = Object.values(statsRoutes).flatMap((r): string[] => {
  const path = r.path.replace("{track_id}", track).replace("{artist_id}", artist);
  if (path !== r.path) return ["bucket=month", "bucket=week"].map((q) => `${path}?${q}&tz=${TZ}`);
  if (r.path === statsRoutes.statsYear.path) return [`${path}?tz=${TZ}`, `${path}?year=2025&tz=${TZ}`];
  return RANGES.map((q) => `${path}?${q}&tz=${TZ}`);
});

describe("an owner's statistics with members' hoards in the table", () => {
  let server: ReturnType<typeof createLocalServer>;
  let base: string;
  let token: string;
  let tableName: string;
  let loader: ReturnType<typeof createDocumentClient>;
  let meter: ReadMeter;

  before(async () => {
    const endpoint = await dynamoEndpoint();
    // The app's client, metered; the loader's writes are not the routes' reads.
    const client = createDocumentClient({ region: "us-east-1", endpoint });
    meter = meterReads(client);
    loader = createDocumentClient({ region: "us-east-1", endpoint });
    tableName = uniqueTableName("household-reads");
    await ensureTable(loader, tableName);
    await loadHistory(loader, tableName, owner, OWNER_ID);
    const config = loadConfig({ TABLE_NAME: tableName, DYNAMODB_ENDPOINT: endpoint, SECRET_KEY: SECRET });
    setDeps(
      await buildDeps(config, {
        store: createDynamoStore({ client, tableName, listener: OWNER_ID }),
        lyrics: createLyricsStore({ client, tableName }),
        cache: createMemoryCache({ now: () => NOW }),
        clock: () => new Date(NOW),
      }),
    );
    token = await issueToken({ secret: SECRET, subject: OWNER_ID, ttlSeconds: 3600, now: new Date(NOW) });
    server = createLocalServer({ corsOrigins: [] });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(
    () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  );

  /** Each url's answer and cost, read after a first call built what a first call builds. */
  async function readAll() {
    const out = new Map<string, { status: number; body: string; requests: number; rcu: number }>();
    for (const url of urls) {
      const get = () => fetch(`${base}${url}`, { headers: { authorization: `Bearer ${token}` } });
      await (await get()).arrayBuffer();
      meter.reset();
      const res = await get();
      out.set(url, { status: res.status, body: await res.text(), requests: meter.requests, rcu: meter.rcu });
    }
    return out;
  }

  test("answer the same with the same requests and read units", async () => {
    const alone = await readAll();
    for (const [url, r] of alone) {
      assert.equal(r.status, 200, `${url}: ${r.body.slice(0, 200)}`);
      assert.ok(r.requests > 0 && r.rcu > 0, `${url} reads the table`);
    }
    for (const [i, id] of ["member1", "member2"].entries()) {
      await loadHistory(loader, tableName, history(43 + i, 3), id);
    }
    const household = await readAll();
    for (const url of urls) assert.deepEqual(household.get(url), alone.get(url), url);
  });
});
