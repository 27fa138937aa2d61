/** Rules both cache adapters share, so the memory cache behaves like Redis in tests. */

/** TTLs must be positive; fractions round up (Redis PX takes whole milliseconds). */
export function toTtl(ttlMs: number): number {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0)
    throw new RangeError(`ttlMs must be a positive number, got ${ttlMs}`);
  return Math.ceil(ttlMs);
}

/** Values are stored as JSON text; `undefined` is stored as null, as Redis would return it. */
export function encode(value: unknown): string {
  return JSON.stringify(value) ?? "null";
}
