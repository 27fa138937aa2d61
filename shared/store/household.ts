import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
} from "@aws-sdk/lib-dynamodb";
import { type Listener, OWNER_ID, ownerListener } from "../domain/listener.ts";
import { batchWrite, doc } from "./context.ts";
import { markSeen } from "./last-seen.ts";
import type { Store } from "./port.ts";
import { createDynamoStore } from "./repository.ts";
import { householdKeys as hk, listenerPrefix, TTL_ATTRIBUTE } from "./table.ts";

/** A single-use invitation to join; only a hash of its code is stored. */
export interface Invite {
  code_hash: string;
  created_at: string;
  /** ISO time; the item's TTL attribute (`expires_at`, epoch seconds) follows it. */
  valid_until: string;
  created_by: string;
  /** The handle the member gets; none: one made from their Spotify account. */
  handle: string | null;
}

export type AddListenerResult = "created" | "handle_taken" | "account_taken";

/**
 * Who listens here (table.ts `householdKeys`), and the store of each listener's hoard. The
 * owner exists before anything is stored about it (OWNER_ID): reads synthesize it.
 */
export interface Household {
  storeOf(listener: string): Store;
  getListener(id: string): Promise<Listener | null>;
  listListeners(): Promise<Listener[]>;
  findByHandle(handle: string): Promise<Listener | null>;
  findBySpotifyId(spotifyId: string): Promise<Listener | null>;
  /** A new member, its handle and its Spotify account in one transaction. */
  addListener(listener: Listener): Promise<AddListenerResult>;
  /** Records which Spotify account a listener linked (the owner links after the fact). */
  setAccount(id: string, spotifyId: string, displayName: string | null): Promise<"ok" | "account_taken">;
  update(
    id: string,
    patch: Partial<Pick<Listener, "public" | "year_card" | "last_seen_at" | "removing_since">>,
  ): Promise<Listener | null>;
  /** Sets `last_seen_at` unless it is after `staleBefore` (shared/store/last-seen.ts); true: written. */
  markSeen(id: string, at: Date, staleBefore: Date): Promise<boolean>;
  /**
   * Deletes a listener's items (every partition under their prefix), a bounded number of Scan
   * pages per call, resuming where the last call stopped (a progress item). Once none is left
   * the listener itself (and their handle and account) goes too: `more` is then false.
   * `pageItems` caps the items a Scan page reads (default: DynamoDB's 1 MB page).
   */
  purge(
    listener: Listener,
    opts?: { maxPages?: number; pageItems?: number },
  ): Promise<{ deleted: number; more: boolean }>;
  createInvite(invite: Invite): Promise<void>;
  /** Takes a valid invite (deletes it): of two joins with one code, one gets it. */
  takeInvite(codeHash: string, now: Date): Promise<Invite | null>;
  peekInvite(codeHash: string, now: Date): Promise<Invite | null>;
}

const isConditionFailure = (err: unknown) =>
  (err as Error).name === "ConditionalCheckFailedException" ||
  (err instanceof TransactionCanceledException &&
    (err.CancellationReasons ?? []).some((r) => r.Code === "ConditionalCheckFailed"));

export function createHousehold(opts: {
  client: DynamoDBDocumentClient;
  tableName: string;
  cursorSecret?: string | undefined;
}): Household {
  const { client, tableName: TableName } = opts;
  const stores = new Map<string, Store>();
  const get = async <T>(key: { pk: string; sk: string }): Promise<T | null> => {
    const out = await client.send(new GetCommand({ TableName, Key: key, ConsistentRead: true }));
    return out.Item ? doc<T>(out.Item) : null;
  };
  const getListener = async (id: string): Promise<Listener | null> => {
    const found = await get<Listener>(hk.listener(id));
    if (found) return found;
    return id === OWNER_ID ? ownerListener(new Date(0)) : null;
  };
  const pointer = async (key: { pk: string; sk: string }) => {
    const p = await get<{ listener_id: string }>(key);
    return p ? getListener(p.listener_id) : null;
  };
  const unexpired = (invite: Invite | null, now: Date) =>
    invite && Date.parse(invite.valid_until) > now.getTime() ? invite : null;

  return {
    storeOf(listener) {
      let store = stores.get(listener);
      if (!store) {
        store = createDynamoStore({
          client,
          tableName: TableName,
          listener,
          cursorSecret: opts.cursorSecret,
        });
        stores.set(listener, store);
      }
      return store;
    },
    getListener,
    async listListeners() {
      const out = await client.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: "pk = :p",
          ExpressionAttributeValues: { ":p": hk.listeners },
          ConsistentRead: true,
        }),
      );
      const found = (out.Items ?? []).map((i) => doc<Listener>(i));
      // The owner first, stored (once linked or seen: last-seen.ts) or not.
      const owner = found.find((l) => l.listener_id === OWNER_ID) ?? ownerListener(new Date(0));
      return [owner, ...found.filter((l) => l !== owner)];
    },
    async findByHandle(handle) {
      if (handle === OWNER_ID) return getListener(OWNER_ID);
      return pointer(hk.handle(handle));
    },
    findBySpotifyId: (spotifyId) => pointer(hk.account(spotifyId)),
    async addListener(listener) {
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName,
                  Item: { ...hk.handle(listener.handle), listener_id: listener.listener_id },
                  ConditionExpression: "attribute_not_exists(pk)",
                },
              },
              ...(listener.spotify_id
                ? [
                    {
                      Put: {
                        TableName,
                        Item: { ...hk.account(listener.spotify_id), listener_id: listener.listener_id },
                        ConditionExpression: "attribute_not_exists(pk)",
                      },
                    },
                  ]
                : []),
              {
                Put: {
                  TableName,
                  Item: { ...hk.listener(listener.listener_id), entity: "listener", ...listener },
                  ConditionExpression: "attribute_not_exists(pk)",
                },
              },
            ],
          }),
        );
        return "created";
      } catch (err) {
        if (!(err instanceof TransactionCanceledException)) throw err;
        const reasons = err.CancellationReasons ?? [];
        if (reasons[0]?.Code === "ConditionalCheckFailed" || listener.handle === OWNER_ID)
          return "handle_taken";
        if (reasons.some((r) => r.Code === "ConditionalCheckFailed")) return "account_taken";
        throw err;
      }
    },
    async setAccount(id, spotifyId, displayName) {
      try {
        await client.send(
          new PutCommand({
            TableName,
            Item: { ...hk.account(spotifyId), listener_id: id },
            ConditionExpression: "attribute_not_exists(pk) OR listener_id = :id",
            ExpressionAttributeValues: { ":id": id },
          }),
        );
      } catch (err) {
        if (isConditionFailure(err)) return "account_taken";
        throw err;
      }
      const current = (await getListener(id)) ?? ownerListener(new Date());
      await client.send(
        new PutCommand({
          TableName,
          Item: {
            ...hk.listener(id),
            entity: "listener",
            ...current,
            spotify_id: spotifyId,
            display_name: displayName,
          },
        }),
      );
      return "ok";
    },
    async update(id, patch) {
      const current = await getListener(id);
      if (!current) return null;
      const next = { ...current, ...patch };
      await client.send(
        new PutCommand({ TableName, Item: { ...hk.listener(id), entity: "listener", ...next } }),
      );
      return next;
    },
    markSeen: (id, at, staleBefore) => markSeen(client, TableName, id, at, staleBefore),
    async purge(listener, { maxPages = 20, pageItems } = {}) {
      const progressKey = hk.purge(listener.listener_id);
      const saved = await get<{ cursor: Record<string, unknown> | null; deleted: number }>(progressKey);
      let cursor = saved?.cursor ?? null;
      let deleted = 0;
      for (let page = 0; page < maxPages; page++) {
        const out = await client.send(
          new ScanCommand({
            TableName,
            FilterExpression: "begins_with(pk, :p)",
            ExpressionAttributeValues: { ":p": listenerPrefix(listener.listener_id) },
            ProjectionExpression: "pk, sk",
            ...(pageItems ? { Limit: pageItems } : {}),
            ...(cursor ? { ExclusiveStartKey: cursor } : {}),
          }),
        );
        const found = out.Items ?? [];
        await batchWrite(
          { client, TableName },
          found.map((Key) => ({ DeleteRequest: { Key } })),
        );
        deleted += found.length;
        cursor = (out.LastEvaluatedKey as Record<string, unknown> | undefined) ?? null;
        if (!cursor) break;
      }
      if (cursor) {
        await client.send(
          new PutCommand({
            TableName,
            Item: { ...progressKey, cursor, deleted: (saved?.deleted ?? 0) + deleted },
          }),
        );
        return { deleted, more: true };
      }
      // One full pass found nothing more behind the cursor: the listener goes last, so an
      // interrupted purge can always be finished from /admin/listeners.
      await client.send(new DeleteCommand({ TableName, Key: hk.listener(listener.listener_id) }));
      if (listener.listener_id !== OWNER_ID)
        await client.send(new DeleteCommand({ TableName, Key: hk.handle(listener.handle) }));
      if (listener.spotify_id)
        await client.send(new DeleteCommand({ TableName, Key: hk.account(listener.spotify_id) }));
      await client.send(new DeleteCommand({ TableName, Key: progressKey }));
      return { deleted, more: false };
    },
    async createInvite(invite) {
      await client.send(
        new PutCommand({
          TableName,
          Item: {
            ...hk.invite(invite.code_hash),
            entity: "invite",
            ...invite,
            // DynamoDB's TTL sweeps it some time after; takeInvite checks the expiry itself.
            [TTL_ATTRIBUTE]: Math.ceil(Date.parse(invite.valid_until) / 1000),
          },
        }),
      );
    },
    async peekInvite(codeHash, now) {
      return unexpired(await get<Invite>(hk.invite(codeHash)), now);
    },
    async takeInvite(codeHash, now) {
      try {
        const out = await client.send(
          new DeleteCommand({
            TableName,
            Key: hk.invite(codeHash),
            ConditionExpression: "attribute_exists(pk) AND valid_until > :now",
            ExpressionAttributeValues: { ":now": now.toISOString() },
            ReturnValues: "ALL_OLD",
          }),
        );
        return out.Attributes ? doc<Invite>(out.Attributes) : null;
      } catch (err) {
        if (isConditionFailure(err)) return null;
        throw err;
      }
    },
  };
}
