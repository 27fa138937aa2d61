import { badRequest } from "../http/errors.ts";

/**
 * Opaque pagination cursors: DynamoDB's LastEvaluatedKey as base64url JSON. A cursor that
 * does not decode to a flat object of strings/numbers is a 400, never a DynamoDB error.
 */
export type Key = Record<string, string | number>;

export function encodeCursor(key: Record<string, unknown> | undefined): string | null {
  return key ? Buffer.from(JSON.stringify(key)).toString("base64url") : null;
}

export function decodeCursor(cursor: string | undefined, expectedKeys: readonly string[]): Key | undefined {
  if (cursor === undefined || cursor === "") return undefined;
  const fail = () =>
    badRequest("cursor is invalid; pass back the next_cursor of a previous page", [
      { field: "query.cursor", message: "is not a cursor this API issued" },
    ]);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw fail();
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw fail();
  const entries = Object.entries(value);
  const ok =
    entries.length === expectedKeys.length &&
    entries.every(([k, v]) => expectedKeys.includes(k) && (typeof v === "string" || typeof v === "number"));
  if (!ok) throw fail();
  return Object.fromEntries(entries) as Key;
}
