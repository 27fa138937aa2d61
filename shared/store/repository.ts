import type { DynamoDBDocumentClient, QueryCommandInput } from "@aws-sdk/lib-dynamodb";
import type { AggregateDelta } from "../stats/aggregates.ts";
import { aggregateStore } from "./aggregates.ts";
import { catalogStore } from "./catalog.ts";
import {
  batchGet,
  batchWrite,
  countsUpdate,
  deltaUpdate,
  get,
  queryAll,
  type StoreContext,
  type UpdateOp,
} from "./context.ts";
import { createCursorCodec } from "./cursor.ts";
import { jobStore } from "./jobs.ts";
import { linkStore } from "./link.ts";
import { maintenanceStore } from "./maintenance.ts";
import { playStore } from "./plays.ts";
import type { Store, StoreCounts, TrackInfo } from "./port.ts";
import { type ListenerKeys, listenerKeys } from "./table.ts";
import { trackStore, trackUpdate } from "./tracks.ts";

/**
 * The DynamoDB Store: one module per entity (tracks, plays, catalog, aggregates, link, jobs,
 * maintenance), each given the same context, composed here. The helpers other store modules
 * import from this file are re-exported from where they now live (context.ts).
 */
export {
  BATCH_ATTR,
  backoff,
  chunks,
  doc,
  MAX_TRACK_RETRIES,
  MAX_TRANSACTION_ITEMS,
  type UpdateOp,
} from "./context.ts";

export function createDynamoStore(opts: {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Whose hoard this store reads and writes: every per-listener key carries it (table.ts). */
  listener: string;
  /** SECRET_KEY: the pagination cursors' MAC key is derived from it (shared/store/cursor.ts). */
  cursorSecret?: string | undefined;
}): Store {
  const ctx: StoreContext = {
    client: opts.client,
    TableName: opts.tableName,
    keys: listenerKeys(opts.listener),
    cursors: createCursorCodec(opts.cursorSecret),
  };
  const store: Store = {
    ...trackStore(ctx),
    ...playStore(ctx),
    ...catalogStore(ctx),
    ...aggregateStore(ctx),
    ...linkStore(ctx),
    ...jobStore(ctx),
    ...maintenanceStore(ctx),
  };
  const internals: DynamoInternals = {
    client: ctx.client,
    TableName: ctx.TableName,
    keys: ctx.keys,
    get: (key, consistent) => get(ctx, key, consistent),
    batchGet: (keyList, consistent) => batchGet(ctx, keyList, consistent),
    batchWrite: (requests) => batchWrite(ctx, requests),
    queryAll: (input) => queryAll(ctx, input),
    trackUpdate: (...args) => trackUpdate(ctx, ...args),
    deltaUpdate: (d) => deltaUpdate(ctx, d),
    countsUpdate: (add, key) => countsUpdate(ctx, add, key),
  };
  Object.defineProperty(store, DYNAMO_INTERNALS, { value: internals });
  return store;
}

/**
 * What the import batch writer (shared/store/import-batch.ts) shares with this store: kept out
 * of the Store port, so the handlers that never import do not bundle the batch code.
 */
export const DYNAMO_INTERNALS = Symbol("dynamo-store-internals");
export interface DynamoInternals {
  client: DynamoDBDocumentClient;
  TableName: string;
  /** The store's listener's keys (table.ts). */
  keys: ListenerKeys;
  get<T>(key: { pk: string; sk: string }, consistent?: boolean): Promise<T | null>;
  batchGet(
    keyList: readonly { pk: string; sk: string }[],
    consistent?: boolean,
  ): Promise<Record<string, unknown>[]>;
  batchWrite(requests: readonly Record<string, unknown>[]): Promise<void>;
  queryAll(input: Omit<QueryCommandInput, "TableName">): Promise<Record<string, unknown>[]>;
  trackUpdate(
    track: TrackInfo,
    version: number,
    span: { first: string; last: string },
    add: { listen_count: number; skip_count: number; listened_ms_total: number },
  ): UpdateOp;
  deltaUpdate(d: AggregateDelta): UpdateOp;
  countsUpdate(add: Partial<StoreCounts>, key?: { pk: string; sk: string }): UpdateOp;
}
