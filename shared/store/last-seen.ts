import { type DynamoDBDocumentClient, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { OWNER_ID, ownerListener } from "../domain/listener.ts";
import { householdKeys } from "./table.ts";

/**
 * Notes that a listener used the API: `last_seen_at` on their listener item, only when the
 * stored one is older than `staleBefore` (one conditional UpdateItem; the condition makes a
 * second container's write within the window a no-op). A member's item must exist: a removed
 * member is never brought back. The owner exists before anything is stored about them
 * (domain/listener.ts), so their item is created here as reads synthesize it, if absent.
 * True when it wrote.
 */
export async function markSeen(
  client: DynamoDBDocumentClient,
  tableName: string,
  listener: string,
  at: Date,
  staleBefore: Date,
): Promise<boolean> {
  const stale = "(attribute_not_exists(last_seen_at) OR last_seen_at = :null OR last_seen_at < :stale)";
  const values: Record<string, unknown> = {
    ":now": at.toISOString(),
    ":null": null,
    ":stale": staleBefore.toISOString(),
  };
  const names: Record<string, string> = {};
  const sets = ["last_seen_at = :now"];
  const owner = listener === OWNER_ID;
  if (owner) {
    // Every other field as ownerListener has it, kept where the item has its own.
    const { last_seen_at: _seen, ...fields } = { entity: "listener", ...ownerListener(new Date(0)) };
    Object.entries(fields).forEach(([name, value], i) => {
      names[`#f${i}`] = name;
      values[`:f${i}`] = value;
      sets.push(`#f${i} = if_not_exists(#f${i}, :f${i})`);
    });
  }
  try {
    await client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: householdKeys.listener(listener),
        UpdateExpression: `SET ${sets.join(", ")}`,
        ConditionExpression: `${owner ? "attribute_not_exists(pk) OR" : "attribute_exists(pk) AND"} ${stale}`,
        ExpressionAttributeValues: values,
        ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
      }),
    );
    return true;
  } catch (err) {
    if ((err as Error).name === "ConditionalCheckFailedException") return false;
    throw err;
  }
}
