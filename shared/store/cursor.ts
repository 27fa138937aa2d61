import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";
import { InvalidInputError } from "../errors.ts";

/**
 * Opaque, tamper-evident pagination cursors: DynamoDB's LastEvaluatedKey as base64url JSON,
 * then `.` and an HMAC-SHA256 over the listing it came from (its scope: which index, which
 * from/to) and the key. A cursor someone edited, forged, or took from another listing or other
 * bounds is a 400 naming `cursor`: DynamoDB never sees a key we did not hand out (a foreign
 * ExclusiveStartKey is a ValidationException there, i.e. a 500).
 */
export type Key = Record<string, string | number>;

export interface CursorCodec {
  encode(key: Record<string, unknown> | undefined, scope: string): string | null;
  decode(cursor: string | undefined, scope: string, expectedKeys: readonly string[]): Key | undefined;
}

const INFO = "hoardify pagination cursor v1";

/**
 * `secret` is SECRET_KEY; the MAC key is derived from it (HKDF), so a cursor never reveals
 * anything usable against the tokens it also signs. Without a secret (tests, one-off scripts)
 * a random key serves this process only.
 */
export function createCursorCodec(secret: string | undefined): CursorCodec {
  const key = Buffer.from(
    hkdfSync("sha256", secret ? Buffer.from(secret, "utf8") : randomBytes(32), Buffer.alloc(0), INFO, 32),
  );
  const mac = (scope: string, body: string) =>
    createHmac("sha256", key).update(scope).update("\n").update(body).digest();

  const fail = (message: string) =>
    new InvalidInputError(`cursor is invalid; pass back the next_cursor of a previous page (${message})`, [
      { field: "query.cursor", message },
    ]);

  return {
    encode(lastKey, scope) {
      if (!lastKey) return null;
      const body = Buffer.from(JSON.stringify(lastKey)).toString("base64url");
      return `${body}.${mac(scope, body).toString("base64url")}`;
    },
    decode(cursor, scope, expectedKeys) {
      if (cursor === undefined || cursor === "") return undefined;
      const [body, tag, extra] = cursor.split(".");
      if (!body || !tag || extra !== undefined) throw fail("is not a cursor this API issued");
      const given = Buffer.from(tag, "base64url");
      const expected = mac(scope, body);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw fail("was not issued for this listing and these bounds, or was altered");
      }
      // Past the MAC the key is ours; the shape check only guards against our own regressions.
      let value: unknown;
      try {
        value = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
      } catch {
        throw fail("is not a cursor this API issued");
      }
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        throw fail("is not a cursor this API issued");
      }
      const entries = Object.entries(value);
      const ok =
        entries.length === expectedKeys.length &&
        entries.every(
          ([k, v]) => expectedKeys.includes(k) && (typeof v === "string" || typeof v === "number"),
        );
      if (!ok) throw fail("is not a cursor this API issued");
      return Object.fromEntries(entries) as Key;
    },
  };
}
