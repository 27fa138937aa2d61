import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { GetCommand, PutCommand, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { recordListen } from "#shared/capture/record.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import { isLegacyItem, migrateToHousehold } from "#shared/store/migrate.ts";
import { createDynamoStore } from "#shared/store/repository.ts";
import { catalogKeys, keys, listenerKeys } from "#shared/store/table.ts";
import { toLegacyLayout } from "#test/support/legacy.ts";
import { generatePlays } from "#test/support/plays.ts";
import { dynamoEndpoint, uniqueTableName } from "#test/support/services.ts";

/** The upgrade of a single-listener hoard: everything the owner's, resumable, idempotent. */

const NOW = Date.parse("2026-03-15T10:20:00.000Z");
const generated = generatePlays({ count: 60, seed: 5, now: NOW, spanDays: 90 });
let client: ReturnType<typeof createDocumentClient>;

before(async () => {
  client = createDocumentClient({ region: "us-east-1", endpoint: await dynamoEndpoint() });
});

async function scanAll(tableName: string) {
  const out: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    out.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}

/** A table holding the generated hoard as the single-listener version wrote it. */
async function legacyTable() {
  const tableName = uniqueTableName("migrate");
  await ensureTable(client, tableName);
  const store = createDynamoStore({ client, tableName, listener: OWNER_ID });
  for (const g of generated) await recordListen(store, g.play, g.track);
  const reference = {
    counts: await store.getCounts(),
    plays: (await store.listPlays({ limit: 1000 })).items,
    tracks: (await store.listTracksByCount(1000)).items,
  };
  const legacy = await toLegacyLayout(client, tableName);
  return { tableName, store, reference, legacy };
}

describe("upgrade to listeners", () => {
  test("a crash after the first page resumes there; a rerun moves nothing twice", async () => {
    const { tableName, store, reference, legacy } = await legacyTable();
    assert.ok(legacy > 300, `a hoard worth several pages (${legacy} items)`);
    await assert.rejects(
      migrateToHousehold({
        client,
        tableName,
        pageSize: 100,
        onPage: (p) => {
          if (p.pages === 1) throw new Error("crash");
        },
      }),
      /crash/,
    );
    const half = (await scanAll(tableName)).filter((i) => isLegacyItem(String(i.pk), String(i.sk))).length;
    assert.ok(half > 0 && half < legacy, `part moved (${half} of ${legacy} left)`);
    const resumed = await migrateToHousehold({ client, tableName, pageSize: 100 });
    assert.equal(resumed.conflicts, 0);
    assert.equal(resumed.moved, legacy, "the progress item counts across both runs");
    assert.equal(
      (await scanAll(tableName)).filter((i) => isLegacyItem(String(i.pk), String(i.sk))).length,
      0,
    );
    // Everything reads back as the owner's, exactly as before the upgrade.
    assert.deepEqual(await store.getCounts(), reference.counts);
    assert.deepEqual((await store.listPlays({ limit: 1000 })).items, reference.plays);
    assert.deepEqual((await store.listTracksByCount(1000)).items, reference.tracks);
    const again = await migrateToHousehold({ client, tableName });
    assert.deepEqual([again.already, again.pages], [true, 0]);
  });

  test("a play the owner already has again is not doubled; a counter written meanwhile is reported", async () => {
    const { tableName, store, reference } = await legacyTable();
    // The owner's loop recorded one of the same plays (and so its counters) before the upgrade.
    const [first] = generated;
    assert.ok(first);
    await recordListen(store, first.play, first.track);
    const r = await migrateToHousehold({ client, tableName });
    assert.ok(r.conflicts > 0, "the counters written meanwhile are conflicts");
    const plays = (await store.listPlays({ limit: 1000 })).items;
    assert.equal(plays.length, reference.plays.length, "no play twice");
    const left = (await scanAll(tableName)).filter((i) => isLegacyItem(String(i.pk), String(i.sk)));
    assert.equal(left.length, r.conflicts, "conflicts stay under their old keys");
    assert.ok(left.every((i) => String(i.pk) !== "PLAYS"));
  });

  test("catalog items (lyrics, emotions, Genius songs, artists, albums) stay unprefixed", async () => {
    const { tableName } = await legacyTable();
    const [first] = generated;
    assert.ok(first);
    const trackId = first.play.track_id;
    const catalog = [
      { ...catalogKeys.lyrics(trackId), entity: "lyrics", text: "la la" },
      {
        ...catalogKeys.emotions(trackId),
        entity: "emotions",
        gsi1pk: catalogKeys.emotionsIndexPk,
        gsi1sk: trackId,
      },
      { ...catalogKeys.geniusLyrics(42), entity: "genius", text: "lo lo" },
      { ...catalogKeys.artist("artist-x"), name: "X" },
      { ...catalogKeys.album("album-x"), name: "Y" },
    ];
    for (const Item of catalog) await client.send(new PutCommand({ TableName: tableName, Item }));
    // A snapshot and the statistics generation of the single-listener version are the owner's.
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...keys.statsSnapshotPart("week@x", "TRACK", 0), build: "b" },
      }),
    );
    await client.send(new PutCommand({ TableName: tableName, Item: { ...keys.statsGeneration, n: 3 } }));
    const r = await migrateToHousehold({ client, tableName, pageSize: 100 });
    assert.equal(r.conflicts, 0);
    const get = async (Key: { pk: string; sk: string }) =>
      (await client.send(new GetCommand({ TableName: tableName, Key, ConsistentRead: true }))).Item;
    for (const item of catalog) {
      assert.ok(await get({ pk: item.pk, sk: item.sk }), `${item.pk} ${item.sk} left where it was`);
    }
    const owner = listenerKeys(OWNER_ID);
    assert.equal(await get(owner.scoped(catalogKeys.lyrics(trackId))), undefined, "no owner copy of lyrics");
    assert.equal(
      await get(owner.scoped(catalogKeys.emotions(trackId))),
      undefined,
      "no owner copy of emotions",
    );
    const stored = await scanAll(tableName);
    assert.ok(
      stored.every(
        (i) => !String(i.pk).startsWith(owner.prefix) || !["LYRICS", "EMOTIONS"].includes(String(i.sk)),
      ),
      "no catalog item under the owner's prefix",
    );
    assert.ok(await get(owner.statsGeneration), "the generation moved to the owner");
    assert.ok(await get(owner.statsSnapshotPart("week@x", "TRACK", 0)), "the snapshot moved to the owner");
    assert.ok(!stored.some((i) => String(i.pk).startsWith(`${owner.prefix}GENIUS#`)));
  });
});
