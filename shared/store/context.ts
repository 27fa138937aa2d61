import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  paginateQuery,
  paginateScan,
  QueryCommand,
  type QueryCommandInput,
  type ScanCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { mapLimit } from "../concurrency.ts";
import type { AggregateDelta } from "../stats/aggregates.ts";
import type { CursorCodec } from "./cursor.ts";
import type { Page, StoreCounts } from "./port.ts";
import { indexes, type ListenerKeys, TTL_ATTRIBUTE } from "./table.ts";

/**
 * What every per-entity module of the store (tracks.ts, plays.ts, catalog.ts, aggregates.ts,
 * link.ts, jobs.ts, maintenance.ts) shares: the client, the table, the listener's keys, and the
 * DynamoDB idioms they would otherwise each spell again (paging, batches, retries).
 */

/** A table to talk to: enough for the paging helpers, which the catalog modules use too. */
export interface Table {
  client: DynamoDBDocumentClient;
  TableName: string;
}

export interface StoreContext extends Table {
  /** The store's listener's keys (table.ts). */
  keys: ListenerKeys;
  /** Binds listing cursors to their listing and listener (cursor.ts). */
  cursors: CursorCodec;
}

/** The batch a play was written by (recordPlayBatch): internal, never part of the document. */
export const BATCH_ATTR = "import_batch";

const KEY_ATTRS = new Set([
  "pk",
  "sk",
  "gsi1pk",
  "gsi1sk",
  "gsi2pk",
  "entity",
  "version",
  TTL_ATTRIBUTE,
  BATCH_ATTR,
]);

/** Drops the storage keys so callers see only the document. */
export function doc<T>(item: Record<string, unknown>): T {
  return Object.fromEntries(Object.entries(item).filter(([k]) => !KEY_ATTRS.has(k))) as T;
}

/** Whether an attribute is storage bookkeeping rather than part of the document. */
export const isKeyAttribute = (name: string) => KEY_ATTRS.has(name);

// Optimistic-lock retries on one track item; jittered backoff so racing writers spread out.
export const MAX_TRACK_RETRIES = 12;
export const backoff = (attempt: number) =>
  new Promise((ok) => setTimeout(ok, Math.random() * Math.min(250, 10 * 2 ** attempt)));

/** DynamoDB's limit on the items of one TransactWriteItems call. */
export const MAX_TRANSACTION_ITEMS = 100;
const MAX_BATCH_GET = 100;
const MAX_BATCH_WRITE = 25;

/** Whether a transaction was refused for `code` (by item `index`, or by any item). */
export const isCancelled = (err: unknown, code: string, index?: number): boolean =>
  err instanceof TransactionCanceledException &&
  (index === undefined
    ? (err.CancellationReasons ?? []).some((r) => r.Code === code)
    : err.CancellationReasons?.[index]?.Code === code);

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export async function get<T>(
  t: Table,
  key: { pk: string; sk: string },
  consistent = false,
): Promise<T | null> {
  const out = await t.client.send(
    new GetCommand({ TableName: t.TableName, Key: key, ConsistentRead: consistent }),
  );
  return out.Item ? doc<T>(out.Item) : null;
}

/**
 * Every item a query matches: DynamoDB stops each page at 1 MB, and the SDK's paginator
 * follows LastEvaluatedKey. The one place the store collects pages (countAll counts them).
 */
export async function queryAll(
  t: Table,
  input: Omit<QueryCommandInput, "TableName">,
): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const res of paginateQuery({ client: t.client }, { TableName: t.TableName, ...input })) {
    out.push(...(res.Items ?? []));
  }
  return out;
}

/** How many items a query matches (after its filter): `Select: "COUNT"` over every page. */
export async function countAll(
  t: Table,
  input: Omit<QueryCommandInput, "TableName" | "Select">,
): Promise<number> {
  let count = 0;
  for await (const res of paginateQuery(
    { client: t.client },
    { TableName: t.TableName, ...input, Select: "COUNT" },
  )) {
    count += res.Count ?? 0;
  }
  return count;
}

/** Every page of one segment of a (parallel) Scan, as an async iterable of item lists. */
export async function* scanPages(
  t: Table,
  input: Omit<ScanCommandInput, "TableName">,
): AsyncGenerator<Record<string, unknown>[]> {
  for await (const res of paginateScan({ client: t.client }, { TableName: t.TableName, ...input })) {
    yield res.Items ?? [];
  }
}

/** One page of a listing; `scope` names the listing and its bounds, and binds its cursors. */
export async function page<T>(
  ctx: StoreContext,
  input: Omit<QueryCommandInput, "TableName">,
  scope: string,
  cursorKeys: string[],
  cursor?: string,
): Promise<Page<T>> {
  const out = await ctx.client.send(
    new QueryCommand({
      TableName: ctx.TableName,
      ...input,
      ExclusiveStartKey: ctx.cursors.decode(cursor, `${ctx.keys.prefix}${scope}`, cursorKeys),
    }),
  );
  return {
    items: (out.Items ?? []).map((i) => doc<T>(i)),
    // A cursor is bound to its listener too: one listener's cursor is a 400 for another.
    next_cursor: ctx.cursors.encode(out.LastEvaluatedKey, `${ctx.keys.prefix}${scope}`),
  };
}

/** The gsi1 sort keys (ids) under one gsi1 partition: the sparse "unsynced" lists. */
export async function listIdsOnIndex(t: Table, gsi1pk: string, limit: number): Promise<string[]> {
  const out = await t.client.send(
    new QueryCommand({
      TableName: t.TableName,
      IndexName: indexes.gsi1.name,
      KeyConditionExpression: "gsi1pk = :p",
      ExpressionAttributeValues: { ":p": gsi1pk },
      Limit: limit,
    }),
  );
  return (out.Items ?? []).map((i) => String(i.gsi1sk));
}

/**
 * BatchGetItem over any number of keys, retrying what DynamoDB leaves unprocessed. Keys are
 * deduplicated first: DynamoDB refuses a whole batch naming one key twice ("Provided list of
 * item keys contains duplicates"), and callers may ask twice.
 */
export async function batchGet(
  t: Table,
  keyList: readonly { pk: string; sk: string }[],
  consistent = false,
): Promise<Record<string, unknown>[]> {
  const { client, TableName } = t;
  const unique = [...new Map(keyList.map((k) => [`${k.pk}\u0000${k.sk}`, k])).values()];
  const parts = await mapLimit(chunks(unique, MAX_BATCH_GET), 8, async (part) => {
    const found: Record<string, unknown>[] = [];
    let pending: Record<string, unknown>[] = part;
    for (let attempt = 0; pending.length > 0; attempt++) {
      const out = await client.send(
        new BatchGetCommand({
          RequestItems: { [TableName]: { Keys: pending, ConsistentRead: consistent } },
        }),
      );
      found.push(...(out.Responses?.[TableName] ?? []));
      pending = out.UnprocessedKeys?.[TableName]?.Keys ?? [];
      if (pending.length > 0) await backoff(attempt);
    }
    return found;
  });
  return parts.flat();
}

export async function batchWrite(t: Table, requests: readonly Record<string, unknown>[]): Promise<void> {
  const { client, TableName } = t;
  await mapLimit(chunks(requests, MAX_BATCH_WRITE), 8, async (part) => {
    let pending: Record<string, unknown>[] = part;
    for (let attempt = 0; pending.length > 0; attempt++) {
      const out = await client.send(new BatchWriteCommand({ RequestItems: { [TableName]: pending } }));
      pending = (out.UnprocessedItems?.[TableName] ?? []) as Record<string, unknown>[];
      if (pending.length > 0) await backoff(attempt);
    }
  });
}

/** An Update as a TransactWriteItems element (or an UpdateCommand's input). */
export interface UpdateOp {
  Update: {
    TableName: string;
    Key: Record<string, unknown>;
    UpdateExpression: string;
    ConditionExpression?: string;
    ExpressionAttributeNames?: Record<string, string>;
    ExpressionAttributeValues?: Record<string, unknown>;
  };
}

/** One aggregate delta (shared/stats/aggregates.ts) as a transaction Update. */
export function deltaUpdate(ctx: StoreContext, d: AggregateDelta): UpdateOp {
  // Attribute names go through placeholders: `name` is a DynamoDB reserved word.
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  Object.entries(d.set).forEach(([k, v], i) => {
    names[`#s${i}`] = k;
    values[`:s${i}`] = v;
    sets.push(`#s${i} = :s${i}`);
  });
  const adds = Object.entries(d.add).map(([k, v], i) => {
    names[`#a${i}`] = k;
    values[`:a${i}`] = v;
    return `#a${i} :a${i}`;
  });
  return {
    Update: {
      TableName: ctx.TableName,
      Key: ctx.keys.aggregate(d.bucket, d.dimension, d.id),
      UpdateExpression: `${sets.length > 0 ? `SET ${sets.join(", ")} ` : ""}ADD ${adds.join(", ")}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}

/** The listener's counts (plays, tracks) or, for artists and albums, the catalog's. */
export function countsUpdate(
  ctx: StoreContext,
  add: Partial<StoreCounts>,
  key: { pk: string; sk: string } = ctx.keys.counts,
): UpdateOp {
  const entries = Object.entries(add);
  return {
    Update: {
      TableName: ctx.TableName,
      Key: key,
      UpdateExpression: `ADD ${entries.map((_, i) => `#c${i} :c${i}`).join(", ")}`,
      ExpressionAttributeNames: Object.fromEntries(entries.map(([k], i) => [`#c${i}`, k])),
      ExpressionAttributeValues: Object.fromEntries(entries.map(([, v], i) => [`:c${i}`, v])),
    },
  };
}
