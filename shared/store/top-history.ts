import { PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { Store } from "./port.ts";
import { DYNAMO_INTERNALS, type DynamoInternals } from "./repository.ts";

/**
 * Spotify's own top lists as they were on each UTC day (table.ts `topSnapshot`): one item per
 * (type, time range, day) of one listener, written once a day by the hourly job
 * (shared/spotify/top-history.ts) and kept for ever — fifty short entries, a few kB. The entries
 * are one JSON string: the history reads whole lists and never a field of one entry.
 */

export type TopKind = "artists" | "tracks";
export type TopRange = "short_term" | "medium_term" | "long_term";

/** One ranked entry as kept: enough to show it without asking Spotify or the hoard. */
export interface TopEntry {
  id: string;
  name: string;
  /** Tracks: the artists' names; artists: their genres. */
  detail: string[];
  image_url: string | null;
}

export interface TopSnapshot {
  type: TopKind;
  range: TopRange;
  /** UTC day, YYYY-MM-DD. */
  day: string;
  fetched_at: string;
  /** How many Spotify could list for the window. */
  total: number;
  /** Best first: rank = index + 1. */
  items: TopEntry[];
}

export interface TopHistoryStore {
  /** Stores the day's list unless one is already there (the first of the day stays). */
  putTopSnapshot(snapshot: TopSnapshot): Promise<"stored" | "exists">;
  /** Which of these (type, range) lists already have a snapshot for `day`. */
  topSnapshotDays(day: string, lists: readonly { type: TopKind; range: TopRange }[]): Promise<Set<string>>;
  /** Newest first, days from `from` to `to` (both included, YYYY-MM-DD), at most `limit`. */
  listTopSnapshots(
    type: TopKind,
    range: TopRange,
    q: { from?: string | undefined; to?: string | undefined; limit: number },
  ): Promise<TopSnapshot[]>;
}

export const listId = (type: TopKind, range: TopRange) => `${type}#${range}`;

/** The listener's top-list history, on the same table and keys as their store. */
export function topHistoryOf(store: Store): TopHistoryStore {
  const i = (store as { [DYNAMO_INTERNALS]?: DynamoInternals })[DYNAMO_INTERNALS];
  if (!i) throw new Error("the top-list history needs the DynamoDB store (createDynamoStore)");
  const { client, TableName, keys } = i;
  const snapshotOf = (item: Record<string, unknown>): TopSnapshot => ({
    type: item.type as TopKind,
    range: item.range as TopRange,
    day: String(item.sk),
    fetched_at: String(item.fetched_at),
    total: Number(item.total),
    items: JSON.parse(String(item.items)) as TopEntry[],
  });
  return {
    async putTopSnapshot(s) {
      try {
        await client.send(
          new PutCommand({
            TableName,
            Item: {
              ...keys.topSnapshot(s.type, s.range, s.day),
              entity: "top-snapshot",
              type: s.type,
              range: s.range,
              fetched_at: s.fetched_at,
              total: s.total,
              items: JSON.stringify(s.items),
            },
            ConditionExpression: "attribute_not_exists(pk)",
          }),
        );
        return "stored";
      } catch (err) {
        if ((err as Error).name === "ConditionalCheckFailedException") return "exists";
        throw err;
      }
    },
    async topSnapshotDays(day, lists) {
      const found = await i.batchGet(
        lists.map((l) => keys.topSnapshot(l.type, l.range, day)),
        true,
      );
      return new Set(found.map((item) => listId(item.type as TopKind, item.range as TopRange)));
    },
    async listTopSnapshots(type, range, q) {
      const bounds: string[] = [];
      const values: Record<string, unknown> = { ":p": keys.topSnapshots(type, range) };
      if (q.from !== undefined && q.to !== undefined) {
        bounds.push("sk BETWEEN :from AND :to");
        Object.assign(values, { ":from": q.from, ":to": q.to });
      } else if (q.from !== undefined) {
        bounds.push("sk >= :from");
        values[":from"] = q.from;
      } else if (q.to !== undefined) {
        bounds.push("sk <= :to");
        values[":to"] = q.to;
      }
      const out = await client.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: ["pk = :p", ...bounds].join(" AND "),
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          Limit: q.limit,
        }),
      );
      return (out.Items ?? []).map(snapshotOf);
    },
  };
}
