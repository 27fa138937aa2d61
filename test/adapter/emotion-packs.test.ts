import assert from "node:assert/strict";
import { before, test } from "node:test";
import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import { createLyricsStore, decodeScores, encodeScores, type TrackEmotions } from "#shared/lyrics/store.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import { catalogKeys } from "#shared/store/table.ts";
import { GO_EMOTIONS } from "#test/support/fake-lyrics.ts";
import { rng } from "#test/support/plays.ts";
import { dynamoEndpoint, uniqueTableName } from "#test/support/services.ts";

/**
 * The emotion packs past the size of one item. DynamoDB refuses an item over 400 KB; one pack
 * per shard reaches that at ~90,000 analysed tracks, and the write folding a vector into a full
 * pack failed (ValidationException), so the vector was never stored and the analysis run ended
 * on it, every run. Here a part holds a few kilobytes, so a few hundred vectors fill several
 * parts per shard: every write lands, every part stays under the limit, and the packs still
 * hold exactly the stored vectors, each once.
 */

const PACK_BYTES = 2_000;
const random = rng(17);
let client: ReturnType<typeof createDocumentClient>;
let tableName: string;

const vector = (id: string, model = "test/model"): TrackEmotions => ({
  track_id: id,
  source: "lyrics",
  model,
  scores: decodeScores(encodeScores(GO_EMOTIONS.map((label) => ({ label, score: random() })))),
  analyzed_at: "2026-03-01T00:00:00.000Z",
});

before(async () => {
  client = createDocumentClient({ region: "us-east-1", endpoint: await dynamoEndpoint() });
  tableName = uniqueTableName("packs");
  await ensureTable(client, tableName);
});

async function packItems() {
  const res = await client.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: "pk = :p",
      ExpressionAttributeValues: { ":p": catalogKeys.emotionPacks },
      ConsistentRead: true,
    }),
  );
  return (res.Items ?? []).filter((i) => i.sk !== catalogKeys.emotionPackMeta.sk);
}

test("a full pack goes on in more parts: every write lands, each vector once, parts under the limit", async () => {
  const store = createLyricsStore({ client, tableName, packedAbove: 0, packBytes: PACK_BYTES });
  const items = createLyricsStore({ client, tableName, packBytes: PACK_BYTES });
  const ids = Array.from({ length: 900 }, (_, i) => `t${i}`);
  await store.putEmotionsMany(ids.slice(0, 600).map((id) => vector(id)));
  await store.packAllEmotions();
  // One at a time too, as the analysis writes them.
  for (const id of ids.slice(600, 620)) await store.putEmotions(vector(id));
  await store.putEmotionsMany(ids.slice(620).map((id) => vector(id)));

  const packs = await packItems();
  const parts = packs.filter((p) => String(p.sk).split("#").length === 3);
  const heads = packs.length - parts.length;
  assert.equal(heads, 32, "a head per shard");
  const spilled = new Set(parts.map((p) => String(p.sk).split("#")[1]));
  assert.equal(spilled.size, heads, `every shard went on in parts (${parts.length} beyond the heads)`);
  for (const p of packs) {
    const size = (p.body as Uint8Array).length;
    assert.ok(size <= PACK_BYTES, `${p.sk}: ${size} bytes`);
  }
  assert.deepEqual(await store.analysisCounts(), { lyrics: 900, title: 0, instrumental: 0, total: 900 });
  const fromPacks = await store.emotionsFor(ids);
  assert.equal(fromPacks.size, 900);
  assert.deepEqual(fromPacks, await items.emotionsFor(ids), "the packs hold the items' vectors");

  // Vectors analysed again (another model): replaced where they are, not added twice.
  const again = ids.filter((_, i) => i % 9 === 0).map((id) => vector(id, "test/model-2"));
  await store.putEmotionsMany(again.slice(0, 80));
  for (const e of again.slice(80)) await store.putEmotions(e);
  const after = await store.emotionsFor(ids);
  assert.equal(after.size, 900);
  assert.deepEqual(after, await items.emotionsFor(ids));
  assert.deepEqual(await store.analysisCounts(), { lyrics: 900, title: 0, instrumental: 0, total: 900 });
  const versions = await store.packedVectors();
  assert.equal(versions?.vectors.size, 900);
});
