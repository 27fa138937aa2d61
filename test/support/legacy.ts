import {
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  ScanCommand,
} from "@aws-sdk/lib-dynamodb";
import { OWNER_ID } from "#shared/domain/listener.ts";
import { catalogKeys, keys, listenerKeys } from "#shared/store/table.ts";

/**
 * Turns the owner's hoard back into the layout of the single-listener version: every item
 * under its logical key (no `L#owner#` prefix, tracks indexed under `TRACKS`) and one counts
 * item holding the catalog's artists and albums too. What an upgrade finds in a table.
 */
export async function toLegacyLayout(client: DynamoDBDocumentClient, tableName: string): Promise<number> {
  const owner = listenerKeys(OWNER_ID);
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: tableName, ExclusiveStartKey: start, ConsistentRead: true }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  const catalog = items.find((i) => i.pk === catalogKeys.counts.pk);
  const puts: Record<string, unknown>[] = [];
  const deletes: { pk: unknown; sk: unknown }[] = [];
  for (const item of items) {
    const pk = String(item.pk);
    if (!pk.startsWith(owner.prefix)) continue;
    const legacy: Record<string, unknown> = { ...item, pk: pk.slice(owner.prefix.length) };
    if (legacy.gsi1pk === owner.tracksIndexPk) legacy.gsi1pk = keys.tracksIndexPk;
    if (legacy.gsi2pk === owner.tracksIndexPk) legacy.gsi2pk = keys.tracksIndexPk;
    if (legacy.pk === keys.counts.pk) {
      legacy.artists = catalog?.artists ?? 0;
      legacy.albums = catalog?.albums ?? 0;
    }
    puts.push(legacy);
    deletes.push({ pk: item.pk, sk: item.sk });
  }
  for (let i = 0; i < puts.length; i += 25) {
    await client.send(
      new BatchWriteCommand({
        RequestItems: { [tableName]: puts.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) },
      }),
    );
  }
  for (let i = 0; i < deletes.length; i += 25) {
    await client.send(
      new BatchWriteCommand({
        RequestItems: { [tableName]: deletes.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } })) },
      }),
    );
  }
  if (catalog) await client.send(new DeleteCommand({ TableName: tableName, Key: catalogKeys.counts }));
  return puts.length;
}
