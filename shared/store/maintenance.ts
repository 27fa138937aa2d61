import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { Play } from "../domain/entities.ts";
import { batchWrite, doc, get, type StoreContext, scanPages } from "./context.ts";
import type { ScannedItem, Store, StoreCounts } from "./port.ts";
import { listenerOfPk, keys as logicalKeys } from "./table.ts";

type MaintenanceStore = Pick<
  Store,
  | "ping"
  | "getCounts"
  | "putCounts"
  | "describeTable"
  | "scanForRebuild"
  | "putAggregateRecords"
  | "deleteAggregateRecords"
>;

/** Health, the counts, the table's own figures, and what rebuild-aggregates reads and writes. */
export function maintenanceStore(ctx: StoreContext): MaintenanceStore {
  const { client, TableName, keys } = ctx;

  /** This listener's items (read back as logical keys) and the shared catalog; null: another's. */
  function classify(item: Record<string, unknown>): ScannedItem | null {
    const stored = { pk: String(item.pk), sk: String(item.sk) };
    const own = stored.pk.startsWith(keys.prefix);
    const key = own ? keys.logical(stored) : stored;
    if (own && stored.pk === keys.playsPartition) return { type: "play", play: doc<Play>(item) };
    if (own && logicalKeys.isAggregate(key.pk)) return { type: "aggregate", key };
    if (own && item.entity === "cursor")
      return { type: "cursor", name: logicalKeys.cursorNameOf(key.pk), value: String(item.value) };
    if (own && item.entity === "track") return { type: "track", key };
    // Other listeners' items are theirs.
    if (!own && listenerOfPk(stored.pk) !== null) return null;
    if (item.entity === "artist" || item.entity === "album") return { type: item.entity, key };
    return { type: "other", key };
  }

  return {
    async ping() {
      await client.send(new GetCommand({ TableName, Key: keys.spotifyLink }));
    },

    async getCounts() {
      const [own, catalog] = await Promise.all([
        get<Partial<StoreCounts>>(ctx, keys.counts),
        get<Partial<StoreCounts>>(ctx, keys.catalogCounts),
      ]);
      return {
        plays: own?.plays ?? 0,
        counted_plays: own?.counted_plays ?? 0,
        tracks: own?.tracks ?? 0,
        // The catalog's: artists and albums belong to nobody (table.ts).
        artists: catalog?.artists ?? 0,
        albums: catalog?.albums ?? 0,
      };
    },

    async putCounts({ artists, albums, ...own }) {
      await client.send(new PutCommand({ TableName, Item: { ...keys.counts, ...own } }));
      await client.send(new PutCommand({ TableName, Item: { ...keys.catalogCounts, artists, albums } }));
    },

    async describeTable() {
      try {
        const out = await client.send(new DescribeTableCommand({ TableName }));
        return { size_bytes: out.Table?.TableSizeBytes ?? 0, item_count: out.Table?.ItemCount ?? 0 };
      } catch (err) {
        if ((err as Error).name === "AccessDeniedException") return null;
        throw err;
      }
    },

    async scanForRebuild(visit, segments = 4) {
      await Promise.all(
        Array.from({ length: segments }, async (_, segment) => {
          for await (const items of scanPages(ctx, { Segment: segment, TotalSegments: segments })) {
            for (const item of items) {
              const scanned = classify(item);
              if (scanned) visit(scanned);
            }
          }
        }),
      );
    },

    async putAggregateRecords(records) {
      for (const r of records) {
        if (!logicalKeys.isAggregate(r.pk))
          throw new Error(`putAggregateRecords: ${r.pk} is not an aggregate`);
      }
      await batchWrite(
        ctx,
        records.map((r) => ({ PutRequest: { Item: keys.scoped(r) } })),
      );
    },

    async deleteAggregateRecords(keyList) {
      for (const k of keyList) {
        if (!logicalKeys.isAggregate(k.pk))
          throw new Error(`deleteAggregateRecords: ${k.pk} is not an aggregate`);
      }
      await batchWrite(
        ctx,
        keyList.map((k) => ({ DeleteRequest: { Key: keys.scoped({ pk: k.pk, sk: k.sk }) } })),
      );
    },
  };
}
