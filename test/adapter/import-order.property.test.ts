import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { OWNER_ID } from "#shared/domain/listener.ts";
import { importContent } from "#shared/import/importer.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import type { Store } from "#shared/store/port.ts";
import { createDynamoStore } from "#shared/store/repository.ts";
import { type ExportFile, quirkyDownload } from "#test/support/exports.ts";
import { allPlays, type Statistics, statistics } from "#test/support/hoard.ts";
import { seeded } from "#test/support/rng.ts";
import { dynamoEndpoint, uniqueTableName } from "#test/support/services.ts";

/**
 * Issue 16: whether a listen counts, and so every statistic, must not depend on how a file is
 * cut into chunks nor on which files were imported first. A whole download in the three
 * formats, with real files' quirks, imported whole in file order is the reference; imports of
 * the same files in random orders and random chunk sizes must leave identical statistics
 * (every counter item, every track's counters, the plays and what the statistics routes read).
 */

const NOW = Date.parse("2026-01-01T00:00:00.000Z");
const download = quirkyDownload(16);

async function freshStore(): Promise<Store> {
  const client = createDocumentClient({ region: "us-east-1", endpoint: await dynamoEndpoint() });
  const tableName = uniqueTableName("order");
  await ensureTable(client, tableName);
  return createDynamoStore({ client, tableName, listener: OWNER_ID });
}

async function importAll(files: readonly ExportFile[], chunkSize: (f: ExportFile) => number) {
  const store = await freshStore();
  for (const f of files) {
    const s = await importContent(store, f.name, JSON.stringify(f.rows), { chunkSize: chunkSize(f) });
    assert.equal(s.status, "imported", f.name);
  }
  return store;
}

describe("importing a download: one counting rule whatever the chunks and the order", () => {
  let reference: Statistics;

  test("the reference (whole files, in order) counts by the rule and names every artist", async () => {
    const store = await importAll(download, () => 1000);
    reference = await statistics(store, NOW);
    const plays = await allPlays(store);
    // No duration is known: 30 s decides, trackdone or not.
    assert.ok(
      plays.some((p) => p.listened_ms === 1_900),
      "the fixture has 1.9 s trackdone rows",
    );
    assert.deepEqual(
      plays.filter((p) => p.counted !== p.listened_ms >= 30_000),
      [],
    );
    // Same-minute listens of one song are two plays; the identical copy is not a third.
    const pair = plays.filter((p) => p.ended_at === "2023-05-02T20:15:00.000Z");
    assert.deepEqual(pair.map((p) => p.listened_ms).sort(), [12_000, 35_000]);
    assert.ok(!plays.some((p) => /unknown/i.test(p.name)), "no Unknown Track");
    assert.ok(
      plays.some((p) => p.listened_at.startsWith("2019-")),
      "endsong_0.json is imported",
    );
    // Artists, albums and genres right after the import.
    const counted = plays.filter((p) => p.counted && p.kind !== "episode");
    assert.equal(
      reference.artists.reduce((n, a) => n + a.plays, 0),
      counted.length,
      "every counted listen counts for its artist",
    );
    assert.equal(reference.summary.distinct_artists, 5);
    assert.ok(reference.albums.length > 0);
    assert.deepEqual(
      reference.genres.map((g) => [g.genre, g.plays]),
      [["(no genre)", counted.length]],
    );
    assert.equal(reference.summary.plays, plays.filter((p) => p.counted).length);
  });

  for (const seed of [1, 2, 3]) {
    test(`seed ${seed}: files in a random order, cut into random chunks, give the same statistics`, async () => {
      assert.ok(reference, "the reference ran first");
      const { next, int } = seeded(seed);
      const order = download
        .map((f) => ({ f, k: next() }))
        .sort((a, b) => a.k - b.k)
        .map((x) => x.f);
      const sizes = new Map(order.map((f) => [f.name, int(2, 40)]));
      const store = await importAll(order, (f) => sizes.get(f.name) ?? 1000);
      const got = await statistics(store, NOW);
      const what = `order ${order.map((f) => f.name.split("/")[1]).join(", ")}; chunks ${[...sizes.values()].join(", ")}`;
      assert.deepEqual(got.plays, reference.plays, what);
      assert.deepEqual(got.counters, reference.counters, what);
      assert.deepEqual(got, reference, what);
    });
  }
});
