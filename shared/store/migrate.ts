import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { OWNER_ID } from "../domain/listener.ts";
import { catalogKeys, householdKeys, keys, listenerKeys } from "./table.ts";

/**
 * The upgrade to listeners: a hoard recorded before them (every item under its logical key,
 * table.ts `keys`) becomes the owner's. Each such item moves under the owner's prefix in a
 * transaction that puts the new item only if absent and deletes the old one, so an item is
 * never lost or doubled, whatever crashes. A page of the Scan at a time; after each page the
 * Scan's position is saved (householdKeys.migration), so a rerun resumes there, and a finished
 * migration is a single Get. The legacy counts item splits into the owner's counts and the
 * catalog's (artists and albums belong to nobody).
 *
 * An item whose new key exists already (something wrote for the owner before the migration
 * finished) is a conflict: a play is the same play (the old copy goes); a counter or aggregate
 * is left in place under its old key and reported: `npm run rebuild-aggregates` recomputes them
 * from the plays.
 */

export interface MigrationResult {
  state: "done";
  /** True when an earlier run had finished it: nothing was read but the progress item. */
  already: boolean;
  moved: number;
  conflicts: number;
  pages: number;
}

interface Progress {
  state: "running" | "done";
  cursor: Record<string, unknown> | null;
  moved: number;
  conflicts: number;
  pages: number;
}

/** The logical partitions of a listener's items (table.ts), as a pre-listener table has them. */
const LEGACY_EXACT = new Set<string>([
  keys.playsPartition,
  keys.playOverflow("", 0).pk,
  keys.counts.pk,
  keys.spotifyLink.pk,
  keys.statsGeneration.pk,
]);
/** `TRACK#`, `AGG#`, …: each entity's key with an empty id is the prefix of all of them. */
const LEGACY_PREFIXES = [
  keys.track("").pk,
  keys.aggregates(""),
  keys.dayPacks(""),
  keys.statsSnapshot(""),
  keys.batchMarker("", "").pk,
  keys.jobRuns(""),
  keys.cursor("").pk,
];

/**
 * Catalog items that share a listener's partition prefix: a track's lyrics and emotion vector
 * live beside the track (`TRACK#<id>`) but belong to every listener, so they stay where they are
 * (as do artists, albums and Genius songs, whose partitions are not a listener's at all).
 */
const CATALOG_TRACK_SKS = new Set<string>([catalogKeys.lyrics("").sk, catalogKeys.emotions("").sk]);

export const isLegacyItem = (pk: string, sk?: string) => {
  if (pk.startsWith(keys.track("").pk) && sk !== undefined && CATALOG_TRACK_SKS.has(sk)) return false;
  return LEGACY_EXACT.has(pk) || LEGACY_PREFIXES.some((p) => pk.startsWith(p));
};

/** DynamoDB's limit on the actions of one transaction (two or three per item). */
const MAX_ACTIONS = 100;
type Actions = NonNullable<TransactWriteCommandInput["TransactItems"]>;

export async function migrateToHousehold(opts: {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Items per Scan page (the unit of progress). */
  pageSize?: number;
  /** Called after each page (tests crash the run here). */
  onPage?: (p: { moved: number; conflicts: number; pages: number }) => void | Promise<void>;
}): Promise<MigrationResult> {
  const { client, tableName: TableName } = opts;
  const owner = listenerKeys(OWNER_ID);
  const saved = await client.send(
    new GetCommand({ TableName, Key: householdKeys.migration, ConsistentRead: true }),
  );
  const progress: Progress = (saved.Item as Progress | undefined) ?? {
    state: "running",
    cursor: null,
    moved: 0,
    conflicts: 0,
    pages: 0,
  };
  if (progress.state === "done") {
    return { state: "done", already: true, moved: progress.moved, conflicts: progress.conflicts, pages: 0 };
  }
  let pages = 0;

  /** The item as the owner's, or (the counts) split between the owner and the catalog. */
  const moved = (item: Record<string, unknown>): Record<string, unknown>[] => {
    const pk = String(item.pk);
    if (pk === keys.counts.pk) {
      const { artists, albums, pk: _pk, sk: _sk, ...own } = item;
      return [
        { ...own, ...owner.counts },
        { ...catalogKeys.counts, artists: artists ?? 0, albums: albums ?? 0 },
      ];
    }
    const out: Record<string, unknown> = { ...item, pk: owner.prefix + pk };
    // The tracks' indexes are per listener too.
    if (out.gsi1pk === keys.tracksIndexPk) out.gsi1pk = owner.tracksIndexPk;
    if (out.gsi2pk === keys.tracksIndexPk) out.gsi2pk = owner.tracksIndexPk;
    return [out];
  };

  const moveOne = async (item: Record<string, unknown>): Promise<"moved" | "conflict"> => {
    const key = { pk: item.pk, sk: item.sk };
    try {
      await client.send(
        new TransactWriteCommand({
          TransactItems: [
            ...moved(item).map((Item) => ({
              Put: { TableName, Item, ConditionExpression: "attribute_not_exists(pk)" },
            })),
            { Delete: { TableName, Key: key } },
          ],
        }),
      );
      return "moved";
    } catch (err) {
      if (!(err instanceof TransactionCanceledException)) throw err;
      if (!(err.CancellationReasons ?? []).some((r) => r.Code === "ConditionalCheckFailed")) throw err;
      if (item.pk === keys.playsPartition) {
        // The owner's copy of this very play exists: the old one is a duplicate.
        await client.send(new DeleteCommand({ TableName, Key: key }));
        return "moved";
      }
      return "conflict";
    }
  };

  do {
    const page = await client.send(
      new ScanCommand({
        TableName,
        Limit: opts.pageSize ?? 500,
        ConsistentRead: true,
        ...(progress.cursor ? { ExclusiveStartKey: progress.cursor } : {}),
      }),
    );
    const legacy = (page.Items ?? []).filter((i) => isLegacyItem(String(i.pk), String(i.sk)));
    // Each item's puts and delete, packed into transactions of at most MAX_ACTIONS.
    const parts: { items: Record<string, unknown>[]; actions: Actions }[] = [];
    for (const item of legacy) {
      const actions: Actions = [
        ...moved(item).map((Item) => ({
          Put: { TableName, Item, ConditionExpression: "attribute_not_exists(pk)" },
        })),
        { Delete: { TableName, Key: { pk: item.pk, sk: item.sk } } },
      ];
      let last = parts.at(-1);
      if (!last || last.actions.length + actions.length > MAX_ACTIONS) {
        last = { items: [], actions: [] };
        parts.push(last);
      }
      last.items.push(item);
      last.actions.push(...actions);
    }
    for (const { items: part, actions } of parts) {
      try {
        await client.send(
          new TransactWriteCommand({
            TransactItems: actions,
          }),
        );
        progress.moved += part.length;
      } catch (err) {
        if (!(err instanceof TransactionCanceledException)) throw err;
        // One of them (or a race) refused: settle each on its own.
        for (const item of part) {
          if ((await moveOne(item)) === "moved") progress.moved += 1;
          else progress.conflicts += 1;
        }
      }
    }
    progress.cursor = (page.LastEvaluatedKey as Record<string, unknown> | undefined) ?? null;
    progress.pages += 1;
    pages += 1;
    if (progress.cursor === null) progress.state = "done";
    await client.send(new PutCommand({ TableName, Item: { ...householdKeys.migration, ...progress } }));
    await opts.onPage?.({ moved: progress.moved, conflicts: progress.conflicts, pages: progress.pages });
  } while (progress.state !== "done");
  return { state: "done", already: false, moved: progress.moved, conflicts: progress.conflicts, pages };
}
