/**
 * DynamoDB write units as AWS bills them, which DynamoDB Local's ConsumedCapacity does not
 * report faithfully for this table: every item of a TransactWriteItems costs 2 units per KB,
 * every write to an item that carries an index key also writes the index (an update that
 * moves the index sort key, as a play does to its track's listen_count and last_listened, is
 * a delete plus a put there), and a conditional write that fails is billed all the same.
 *
 * The meter records each write's key, whether it was transactional and whether it failed;
 * after the run, `billWrites` prices them at the size each item has at the end (a scan), so
 * an item that grew during the run is billed at its largest size: an upper bound, on purpose.
 * Reads keep DynamoDB Local's figure (GetItem/Query by size, 4 KB units), which is right.
 */
import { type DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { tableDefinition } from "#shared/store/table.ts";

interface WriteRecord {
  key: string;
  transactional: boolean;
  failed: boolean;
}

export interface DynamoMeter {
  writes: WriteRecord[];
  /** Read units as DynamoDB Local reports them. */
  rru: number;
}

type Json = Record<string, unknown>;

/** A key attribute, plain or marshalled ({S: …}), whichever the middleware sees. */
const str = (v: unknown) =>
  typeof v === "object" && v !== null && "S" in v ? String((v as { S: unknown }).S) : String(v ?? "?");
const keyOf = (k: Json | undefined) => `${str(k?.pk)}|${str(k?.sk)}`;

/** The keys a write command touches, and whether it is a transaction. */
function writesOf(command: string, input: Json): { keys: string[]; transactional: boolean } {
  if (command === "PutCommand") return { keys: [keyOf(input.Item as Json)], transactional: false };
  if (command === "UpdateCommand" || command === "DeleteCommand")
    return { keys: [keyOf(input.Key as Json)], transactional: false };
  if (command === "TransactWriteCommand") {
    const keys = (input.TransactItems as Json[]).map((t) => {
      const op = (t.Put ?? t.Update ?? t.Delete ?? t.ConditionCheck) as Json;
      return keyOf((op.Item ?? op.Key) as Json);
    });
    return { keys, transactional: true };
  }
  if (command === "BatchWriteCommand") {
    const keys = Object.values(input.RequestItems as Record<string, Json[]>).flatMap((reqs) =>
      reqs.map((r) => keyOf(((r.PutRequest as Json)?.Item ?? (r.DeleteRequest as Json)?.Key) as Json)),
    );
    return { keys, transactional: false };
  }
  return { keys: [], transactional: false };
}

export function meterDynamo(client: DynamoDBDocumentClient, meter: DynamoMeter): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      // PutCommand (document client) and PutItemCommand (low level) alike.
      const command = (context.commandName ?? "").replace(/Items?Command$/, "Command");
      const input = args.input as Json;
      const isRead = /Get|Query|Scan/.test(command);
      if (isRead) input.ReturnConsumedCapacity = "TOTAL";
      const { keys, transactional } = writesOf(command, input);
      try {
        const out = await next(args);
        if (isRead) {
          const cc = (out.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
          const list = (Array.isArray(cc) ? cc : cc ? [cc] : []) as { CapacityUnits?: number }[];
          meter.rru += list.reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
        }
        for (const key of keys) meter.writes.push({ key, transactional, failed: false });
        return out;
      } catch (err) {
        // A failed condition (or a cancelled transaction) is billed as the write it would have been.
        for (const key of keys) meter.writes.push({ key, transactional, failed: true });
        throw err;
      }
    },
    // After lib-dynamodb has its input but before marshalling: plain JS keys.
    { step: "initialize", name: "meterDynamoBill", override: true },
  );
}

/** DynamoDB's item size: attribute names plus values (numbers ~1 byte per 2 digits + 1). */
export function itemSize(value: unknown): number {
  if (value === null || value === undefined || typeof value === "boolean") return 1;
  if (typeof value === "string") return Buffer.byteLength(value);
  if (typeof value === "number" || typeof value === "bigint")
    return Math.ceil(String(value).replace(/[-.]/g, "").length / 2) + 1;
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) return [...value].reduce((n: number, v) => n + itemSize(v), 0);
  if (Array.isArray(value)) return 3 + value.reduce((n: number, v) => n + 1 + itemSize(v), 0);
  return (
    3 + Object.entries(value as Json).reduce((n, [k, v]) => n + 1 + Buffer.byteLength(k) + itemSize(v), 0)
  );
}

/** Every item's size by key, from a scan at the end of the run. */
export async function itemSizes(client: DynamoDBDocumentClient, tableName: string) {
  const sizes = new Map<string, { bytes: number; indexes: number }>();
  const indexKeys = tableDefinition.globalSecondaryIndexes.map((i) => i.partitionKey);
  let start: Json | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: tableName, ...(start ? { ExclusiveStartKey: start } : {}) }),
    );
    for (const item of page.Items ?? []) {
      // The top-level map's own 3 bytes are not counted for an item.
      sizes.set(keyOf(item), {
        bytes: itemSize(item) - 3,
        indexes: indexKeys.filter((k) => k in item).length,
      });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return sizes;
}

/**
 * What kind of item a `pk|sk` key is, for the breakdown: the entity, aggregates by bucket kind
 * (D/M/Y/ALL) and dimension, and whether the write failed its condition.
 */
export function writeKind(key: string, failed: boolean): string {
  const [pk = "", sk = ""] = key.split("|");
  let kind: string;
  if (pk === "PLAYS") kind = "play";
  else if (pk.startsWith("AGG#")) {
    const bucket = pk.slice(4);
    kind = `aggregate ${bucket === "ALL" ? "ALL" : bucket.slice(0, 1)} ${sk.slice(0, sk.indexOf("#"))}`;
  } else kind = (pk.split("#")[0] ?? pk).toLowerCase();
  return failed ? `${kind} (failed condition)` : kind;
}

/** Write units for the recorded writes, at the items' final sizes (deleted items: 1 KB). */
export function billWrites(
  writes: readonly WriteRecord[],
  sizes: Map<string, { bytes: number; indexes: number }>,
) {
  const seen = new Set<string>();
  let wru = 0;
  /** Units by writeKind, the index writes under their own "… index" kind. */
  const byKind = new Map<string, number>();
  const add = (kind: string, units: number) => byKind.set(kind, (byKind.get(kind) ?? 0) + units);
  for (const w of writes) {
    const size = sizes.get(w.key) ?? { bytes: 1024, indexes: 0 };
    const units = Math.max(1, Math.ceil(size.bytes / 1024));
    const kind = writeKind(w.key, w.failed);
    const base = units * (w.transactional ? 2 : 1);
    wru += base;
    add(kind, base);
    // An index write is a put for a new item, a delete + put when an existing item's key moves.
    if (!w.failed && size.indexes > 0) {
      const index = size.indexes * units * (seen.has(w.key) ? 2 : 1);
      wru += index;
      add(`${kind} index`, index);
    }
    seen.add(w.key);
  }
  const bytes = [...sizes.values()].reduce((n, s) => n + s.bytes, 0);
  return { wru, bytes, byKind };
}
