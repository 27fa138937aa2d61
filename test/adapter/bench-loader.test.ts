import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { recordListen } from "#shared/capture/record.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import { scanPages } from "#shared/store/context.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import { createDynamoStore } from "#shared/store/repository.ts";
import { dynamoEndpoint, uniqueTableName } from "#test/support/services.ts";
import { generateHistory, type History, loadHistory, syncedArtist } from "../../bench/generate-plays.ts";

/**
 * The statistics bench's figures hold only if its loader (bench/generate-plays.ts), which writes
 * a generated hoard directly, leaves the table the capture path leaves: here two listeners'
 * hoards (one library, other seeds), loaded one after the other into one table, both ways.
 */

const NOW = Date.parse("2026-11-21T20:30:00.000Z");
const small = (seed: number): History =>
  generateHistory({ playsPerDay: 2, days: 45, endMs: NOW, seed, artists: 14, albums: 20, tracks: 40 });
const hoards: [string, History][] = [
  [OWNER_ID, small(42)],
  ["member1", small(43)],
];

let client: DynamoDBDocumentClient;

before(async () => {
  client = createDocumentClient({ region: "us-east-1", endpoint: await dynamoEndpoint() });
});

async function newTable(prefix: string): Promise<string> {
  const name = uniqueTableName(prefix);
  await ensureTable(client, name);
  return name;
}

/**
 * Every item, sorted by key. Left out: the statistics generations (each listener's, and the
 * household's genres one), change counters that the sync's genre changes bump one by one and
 * that no figure reads (a snapshot only compares them with those it was built at; the bench
 * bumps the listener's itself before it measures).
 */
async function items(TableName: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const page of scanPages({ client, TableName }, {})) out.push(...page);
  const key = (i: Record<string, unknown>) => `${String(i.pk)} ${String(i.sk)}`;
  return out
    .filter((i) => !String(i.pk).endsWith("#META#STATS") && i.pk !== "CATALOG#STATS")
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

describe("the statistics bench's loader", () => {
  test("leaves, for two listeners in one table, every item recordListen and the metadata sync leave", async () => {
    const real = await newTable("loader-real");
    for (const [listener, history] of hoards) {
      const store = createDynamoStore({ client, tableName: real, listener });
      for (const { play, track } of history.plays)
        assert.equal(await recordListen(store, play, track), "recorded");
      // The hourly sync: every artist still unsynced that Spotify knows.
      const catalog = new Map(history.artists.map((a) => [a.id, a]));
      for (const id of await store.listUnsyncedArtists(1000)) {
        const known = catalog.get(id);
        const synced = known ? syncedArtist(known) : null;
        if (synced) await store.saveArtistMetadata(synced);
      }
    }
    const loaded = await newTable("loader-fast");
    for (const [listener, history] of hoards) await loadHistory(client, loaded, history, listener);

    const expected = await items(real);
    const actual = await items(loaded);
    // Enough of a hoard to mean something: both listeners' plays, skips, synced and unsynced
    // artists, an album both played, and the catalog counted once.
    const plays = hoards.map(([, h]) => h.plays.length);
    assert.ok(
      plays.every((n) => n > 50),
      `plays: ${plays.join(", ")}`,
    );
    assert.ok(hoards.some(([, h]) => h.plays.some((p) => !p.play.counted)));
    const artists = expected.filter((i) => i.entity === "artist");
    assert.ok(artists.some((a) => a.synced_at === null) && artists.some((a) => a.synced_at !== null));
    assert.ok(expected.some((i) => String(i.pk).startsWith("L#member1#AGG#")));
    const catalogCounts = expected.find((i) => i.pk === "CATALOG#COUNTS");
    assert.equal(catalogCounts?.artists, artists.length);
    assert.equal(catalogCounts?.albums, expected.filter((i) => i.entity === "album").length);

    assert.equal(actual.length, expected.length);
    assert.deepEqual(actual, expected);
  });
});
