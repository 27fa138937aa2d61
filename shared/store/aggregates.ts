import {
  PutCommand,
  TransactGetCommand,
  type TransactGetCommandOutput,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { ALL_BUCKET, isSlotAttribute, slotsOf, TOTAL_ID } from "../stats/aggregates.ts";
import {
  backoff,
  batchGet,
  batchWrite,
  countAll,
  get,
  isCancelled,
  isKeyAttribute,
  MAX_TRACK_RETRIES,
  queryAll,
  type StoreContext,
} from "./context.ts";
import type { Aggregate, Store } from "./port.ts";
import { type ListenerKeys, keys as logicalKeys, TTL_ATTRIBUTE } from "./table.ts";

/**
 * Aggregate items come back with bucket, dimension and id read from their keys (they are not
 * stored twice), counters defaulting to 0, and quarter-hour counters gathered under `slots`.
 */
function aggregateDoc(keys: ListenerKeys, item: Record<string, unknown>): Aggregate {
  const out: Record<string, unknown> = {
    ...logicalKeys.aggregateRefOf(keys.logical({ pk: String(item.pk), sk: String(item.sk) })),
    plays: 0,
    skips: 0,
    listened_ms: 0,
  };
  let hasSlots = false;
  for (const k in item) {
    if (isKeyAttribute(k)) continue;
    if (isSlotAttribute(k)) hasSlots = true;
    else out[k] = item[k];
  }
  if (hasSlots) out.slots = slotsOf(item);
  return out as unknown as Aggregate;
}

/**
 * Called after every write that changes past counters (see Store.bumpStatsGeneration); with
 * `genres`, after an artist's genres changed, which every listener's statistics depend on.
 */
export async function bumpStatsGeneration(
  ctx: StoreContext,
  scope: "listener" | "genres" = "listener",
): Promise<void> {
  await ctx.client.send(
    new UpdateCommand({
      TableName: ctx.TableName,
      Key: scope === "genres" ? ctx.keys.genresGeneration : ctx.keys.statsGeneration,
      UpdateExpression: "ADD n :one",
      ExpressionAttributeValues: { ":one": 1 },
    }),
  );
}

type AggregateStore = Pick<
  Store,
  | "getDailyAggregates"
  | "queryAggregates"
  | "countAggregates"
  | "queryAggregateIds"
  | "queryDays"
  | "batchGetAggregates"
  | "queryDayPacks"
  | "putDayPack"
  | "queryTrackDayPacks"
  | "putTrackDayPack"
  | "getStatsValidity"
  | "bumpStatsGeneration"
  | "queryStatsSnapshot"
  | "putStatsSnapshot"
  | "snapshotZones"
  | "addSnapshotZone"
>;

/**
 * A listener's counters (shared/stats/aggregates.ts), and what is derived from them: the month
 * packs of DAY rows, statistics snapshots and what tells whether one is still valid.
 */
export function aggregateStore(ctx: StoreContext): AggregateStore {
  const { client, TableName, keys } = ctx;
  const toAggregate = (item: Record<string, unknown>) => aggregateDoc(keys, item);

  /** One dimension's items in a bucket that have a counted play. */
  const counted = (bucket: string, dimension: string) => ({
    KeyConditionExpression: "pk = :p AND begins_with(sk, :d)",
    FilterExpression: "plays > :zero",
    ExpressionAttributeValues: {
      ":p": keys.aggregates(bucket),
      ":d": keys.aggregateDimension(dimension),
      ":zero": 0,
    },
  });

  const queryAggregates: Store["queryAggregates"] = async (bucket, dimension, opts) => {
    const items = await queryAll(ctx, {
      KeyConditionExpression: dimension ? "pk = :p AND begins_with(sk, :d)" : "pk = :p",
      ExpressionAttributeValues: {
        ":p": keys.aggregates(bucket),
        ...(dimension ? { ":d": keys.aggregateDimension(dimension) } : {}),
      },
      ...(opts?.numbersOnly ? { ProjectionExpression: "pk, sk, plays, skips, listened_ms" } : {}),
      ...(opts?.consistent ? { ConsistentRead: true } : {}),
    });
    return items.map(toAggregate);
  };

  return {
    getDailyAggregates: (day) => queryAggregates(`D#${day}`),
    queryAggregates,

    countAggregates: (bucket, dimension) => countAll(ctx, counted(bucket, dimension)),

    async queryAggregateIds(bucket, dimension) {
      // Same read capacity as the whole items (DynamoDB bills what it reads), but a fraction of
      // the attributes to transfer and parse.
      const items = await queryAll(ctx, { ...counted(bucket, dimension), ProjectionExpression: "sk" });
      return items.map((i) => String(i.sk).slice(keys.aggregateDimension(dimension).length));
    },

    async queryDays(year, fromDay, toDay, opts) {
      const bucket = `Y#${year}`;
      const items = await queryAll(ctx, {
        KeyConditionExpression: "pk = :p AND sk BETWEEN :a AND :b",
        ExpressionAttributeValues: {
          ":p": keys.aggregates(bucket),
          ":a": keys.aggregate(bucket, "DAY", fromDay).sk,
          ":b": keys.aggregate(bucket, "DAY", toDay).sk,
        },
        ConsistentRead: opts?.consistent ?? false,
      });
      return items.map(toAggregate);
    },

    async batchGetAggregates(refs, opts) {
      const items = await batchGet(
        ctx,
        refs.map((r) => keys.aggregate(r.bucket, r.dimension, r.id)),
        opts?.consistent ?? false,
      );
      return items.map(toAggregate);
    },

    async getStatsValidity(days) {
      const refs = [
        keys.aggregate(ALL_BUCKET, "TOTAL", TOTAL_ID),
        ...days.map((d) => keys.aggregate(`D#${d}`, "TOTAL", TOTAL_ID)),
      ];
      // One transaction: a play moves ALL and its day together, so a consistent view of both
      // is what makes "ALL minus the recent days" a fingerprint of the older plays.
      const command = new TransactGetCommand({
        TransactItems: [...refs, keys.statsGeneration, keys.genresGeneration].map((Key) => ({
          Get: { TableName, Key },
        })),
      });
      // A transactional read is refused while a play's transaction holds one of the items.
      let out: TransactGetCommandOutput | undefined;
      for (let attempt = 0; !out; attempt++) {
        try {
          out = await client.send(command);
        } catch (err) {
          if (!isCancelled(err, "TransactionConflict") || attempt >= MAX_TRACK_RETRIES) throw err;
          await backoff(attempt);
        }
      }
      const items = (out.Responses ?? []).map((r) => r.Item);
      const count = (i: Record<string, unknown> | undefined) => (typeof i?.n === "number" ? i.n : 0);
      const aggs = items.slice(0, -2).map((i) => (i ? toAggregate(i) : null));
      return {
        all: aggs[0] ?? null,
        days: aggs.slice(1).filter((a): a is Aggregate => a !== null),
        // Both counters only grow, so their sum moves whenever either does.
        generation: count(items.at(-2)) + count(items.at(-1)),
      };
    },

    bumpStatsGeneration: () => bumpStatsGeneration(ctx),

    async queryStatsSnapshot(key, dimension) {
      const prefix = keys.statsSnapshotDimension(dimension);
      const items = await queryAll(ctx, {
        KeyConditionExpression: "pk = :p AND begins_with(sk, :d)",
        ExpressionAttributeValues: { ":p": keys.statsSnapshot(key), ":d": prefix },
      });
      return items
        .map((i) => ({
          n: Number(String(i.sk).slice(prefix.length)),
          build: String(i.build),
          head: typeof i.head === "string" ? i.head : undefined,
          body: i.body as Uint8Array,
        }))
        .sort((a, b) => a.n - b.n);
    },

    async putStatsSnapshot(key, dimension, parts, expiresAt) {
      await batchWrite(
        ctx,
        parts.map((p) => ({
          PutRequest: {
            Item: {
              ...keys.statsSnapshotPart(key, dimension, p.n),
              build: p.build,
              ...(p.head === undefined ? {} : { head: p.head }),
              body: p.body,
              [TTL_ATTRIBUTE]: expiresAt,
            },
          },
        })),
      );
    },

    async snapshotZones() {
      const item = await get<{ tzs?: Set<string> }>(ctx, keys.statsSnapshotZones);
      return [...(item?.tzs ?? [])].sort();
    },

    async addSnapshotZone(tz) {
      await client.send(
        new UpdateCommand({
          TableName,
          Key: keys.statsSnapshotZones,
          UpdateExpression: "ADD tzs :tz",
          ExpressionAttributeValues: { ":tz": new Set([tz]) },
        }),
      );
    },

    async queryDayPacks(year) {
      const items = await queryAll(ctx, {
        KeyConditionExpression: "pk = :p",
        ExpressionAttributeValues: { ":p": keys.dayPacks(year) },
      });
      return items.map((i) => ({ month: String(i.sk), of: String(i.of), days: String(i.days) }));
    },

    async queryTrackDayPacks(year, fromMonth, toMonth) {
      const items = await queryAll(ctx, {
        KeyConditionExpression: "pk = :p AND sk BETWEEN :a AND :b",
        ExpressionAttributeValues: { ":p": keys.trackDayPacks(year), ":a": fromMonth, ":b": toMonth },
      });
      return items.map((i) => ({
        month: String(i.sk),
        of: String(i.of),
        body: i.body instanceof Uint8Array ? i.body : null,
      }));
    },

    async putTrackDayPack(pack) {
      await client.send(
        new PutCommand({
          TableName,
          Item: { ...keys.trackDayPack(pack.month), of: pack.of, ...(pack.body ? { body: pack.body } : {}) },
        }),
      );
    },

    async putDayPack(pack) {
      await client.send(
        new PutCommand({
          TableName,
          Item: { ...keys.dayPack(pack.month), of: pack.of, days: pack.days },
        }),
      );
    },
  };
}
