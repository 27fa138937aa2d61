import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { type DynamoDBDocumentClient, PutCommand, ScanCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { recordListen } from "#shared/capture/record.ts";
import type { Play } from "#shared/domain/entities.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import { rebuildAggregates } from "#shared/stats/rebuild.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import type { Store, TrackInfo } from "#shared/store/port.ts";
import { createDynamoStore } from "#shared/store/repository.ts";
import { listenerKeys } from "#shared/store/table.ts";
import { generatePlays } from "#test/support/plays.ts";
import { dynamoEndpoint, uniqueTableName } from "#test/support/services.ts";

let client: DynamoDBDocumentClient;
let tableName: string;
let store: Store;

before(async () => {
  client = createDocumentClient({ region: "us-east-1", endpoint: await dynamoEndpoint() });
  tableName = uniqueTableName("rebuild");
  await ensureTable(client, tableName);
  store = createDynamoStore({ client, tableName, listener: OWNER_ID });
});

/** The owner's stored keys (the table holds every listener's). */
const own = listenerKeys(OWNER_ID);

/** Every aggregate item exactly as stored, sorted by key, with its logical key (no listener prefix). */
async function aggregateItems(): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const res = await client.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: "begins_with(pk, :a)",
        ExpressionAttributeValues: { ":a": own.aggregates("") },
        ExclusiveStartKey: start,
      }),
    );
    out.push(...(res.Items ?? []).map((i) => own.logical(i as { pk: string; sk: string })));
    start = res.LastEvaluatedKey;
  } while (start);
  const key = (i: Record<string, unknown>) => `${String(i.pk)} ${String(i.sk)}`;
  return out.sort((a, b) => (key(a) < key(b) ? -1 : 1));
}

const NOW = Date.parse("2026-03-15T10:20:00.000Z");
const generated = generatePlays({ count: 160, seed: 7, now: NOW, spanDays: 500 });

// A charity single: 35 credited artists do not fit in one 100-item transaction with their
// D, M and Y aggregates; the rest goes to guarded follow-up writes.
const crowd: TrackInfo = {
  track_id: "crowd",
  kind: "track",
  name: "Everyone Together",
  uri: "spotify:track:crowd",
  artists: Array.from({ length: 35 }, (_, i) => ({ id: `crowd${i}`, name: `Singer ${i}` })),
  album: { id: "crowd-album", name: "Together", image_url: null },
  duration_ms: 240_000,
};
const crowdPlay: Play = {
  ...(generated[0]?.play as Play),
  track_id: "crowd",
  name: crowd.name,
  artists: crowd.artists,
  album_id: "crowd-album",
  listened_at: "2026-01-10T20:00:00.000Z",
  ended_at: "2026-01-10T20:04:00.000Z",
  listened_ms: 240_000,
  duration_ms: 240_000,
  counted: true,
};

describe("rebuild-aggregates", () => {
  let incremental: Record<string, unknown>[];

  test("a play credited to 35 artists counts every artist once in D, M, Y and ALL, and twice recorded still once", async () => {
    assert.equal(await recordListen(store, crowdPlay, crowd), "recorded");
    assert.equal(await recordListen(store, crowdPlay, crowd), "duplicate");
    for (const bucket of ["D#2026-01-10", "M#2026-01", "Y#2026", "ALL"]) {
      const artists = await store.queryAggregates(bucket, "ARTIST");
      assert.equal(artists.length, 35, bucket);
      assert.ok(
        artists.every((a) => a.plays === 1 && a.listened_ms === 240_000),
        bucket,
      );
    }
  });

  test("the play transaction maintains D/M/Y aggregates, names, quarter-hour counters and counts", async () => {
    for (const g of generated) await recordListen(store, g.play, g.track);
    incremental = await aggregateItems();
    const counted = generated.filter((g) => g.play.counted);
    const counts = await store.getCounts();
    assert.equal(counts.plays, generated.length + 1);
    assert.equal(counts.counted_plays, counted.length + 1);
    assert.equal(counts.tracks, new Set([...generated.map((g) => g.track.track_id), "crowd"]).size);
    const artistIds = new Set(
      [...generated.filter((g) => g.track.kind === "track"), { track: crowd }].flatMap((g) =>
        g.track.artists.flatMap((a) => (a.id ? [a.id] : [])),
      ),
    );
    assert.equal(counts.artists, artistIds.size);
    // Year totals add up to every play; names are on the items.
    const years = incremental.filter((i) => String(i.pk).startsWith("AGG#Y#") && i.sk === "TOTAL#all");
    assert.equal(
      years.reduce((n, i) => n + Number(i.plays) + Number(i.skips), 0),
      generated.length + 1,
    );
    const track = incremental.find((i) => String(i.pk).startsWith("AGG#M#") && i.sk === "TRACK#crowd");
    assert.equal(track?.name, "Everyone Together");
    assert.equal((track?.artists as string[] | undefined)?.length, 35);
    const day = incremental.find((i) => i.pk === "AGG#Y#2026" && i.sk === "DAY#2026-01-10");
    assert.equal(day?.p2000, 1);
    assert.equal(day?.ms2000, 240_000);
  });

  test("rebuild recomputes exactly what the play transactions left, item for item", async () => {
    const result = await rebuildAggregates(store);
    assert.deepEqual(await aggregateItems(), incremental);
    assert.equal(result.plays, generated.length + 1);
    assert.equal(result.aggregates_written, incremental.length);
    assert.equal(result.aggregates_deleted, 0);
    const counts = await store.getCounts();
    assert.equal(counts.plays, generated.length + 1);
    assert.equal(counts.artists, result.artists);
  });

  test("rebuild repairs damaged, missing and stray aggregates and is idempotent", async () => {
    const [first, second] = incremental;
    assert.ok(first && second);
    await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: own.scoped({ pk: String(first.pk), sk: String(first.sk) }),
        UpdateExpression: "ADD plays :n SET #name = :x",
        ExpressionAttributeNames: { "#name": "name" },
        ExpressionAttributeValues: { ":n": 5, ":x": "wrong" },
      }),
    );
    await store.deleteAggregateRecords([{ pk: String(second.pk), sk: String(second.sk) }]);
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...own.aggregate("D#2019-01-01", "TRACK", "ghost"), plays: 3, listened_ms: 1, skips: 0 },
      }),
    );
    await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: own.counts,
        UpdateExpression: "ADD plays :n",
        ExpressionAttributeValues: { ":n": 99 },
      }),
    );
    assert.notDeepEqual(await aggregateItems(), incremental);
    const repaired = await rebuildAggregates(store);
    assert.equal(repaired.aggregates_deleted, 1);
    assert.deepEqual(await aggregateItems(), incremental);
    assert.equal((await store.getCounts()).plays, generated.length + 1);
    const again = await rebuildAggregates(store);
    assert.equal(again.aggregates_deleted, 0);
    assert.deepEqual(await aggregateItems(), incremental);
  });
});
