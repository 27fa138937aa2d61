/**
 * The cache port: hot, small, rebuildable state (now-playing snapshot, Spotify access
 * token, rendered album art, rate-limit counters, the loop lease). Anything that must
 * survive lives in DynamoDB. Two implementations: Upstash REST (AWS) and in-memory
 * (one local process). Values are JSON-serialisable; TTLs are in milliseconds.
 */
export interface Cache {
  readonly kind: "upstash" | "memory";
  get<T = unknown>(key: string): Promise<T | null>;
  /** Several keys in one command (MGET): each value, or null when absent, in `keys` order. */
  getMany<T = unknown>(keys: readonly string[]): Promise<(T | null)[]>;
  /** Stores `value` (JSON); with `ttlMs`, the key expires after that many milliseconds. */
  set(key: string, value: unknown, opts?: { ttlMs?: number }): Promise<void>;
  /** Stores only if the key is absent (a lease or a lock); true when this call stored it. */
  setIfAbsent(key: string, value: unknown, opts: { ttlMs: number }): Promise<boolean>;
  del(key: string): Promise<void>;
  /**
   * Atomically replaces the value (with a fresh TTL) only while the key holds `expected`;
   * true when it did. A lease changes hands this way, so two holders of one value cannot
   * both pass it on.
   */
  swapIfEquals(key: string, expected: unknown, next: unknown, opts: { ttlMs: number }): Promise<boolean>;
  /** Atomically deletes the key only while it holds `expected`; true when it did. */
  deleteIfEquals(key: string, expected: unknown): Promise<boolean>;
  /**
   * Adds 1 to a counter and returns the new value with the milliseconds until it resets.
   * The window starts with the first increment (fixed window), which is what a login
   * rate limit needs.
   */
  incrementWindow(key: string, windowMs: number): Promise<{ count: number; resetInMs: number }>;
  /** Remaining lifetime of a key in ms; null when absent, -1 when it has no TTL. */
  ttlMs(key: string): Promise<number | null>;
  /** Deletes every key starting with `prefix` (POST /admin/clear-cache); how many went. */
  deleteByPrefix(prefix: string): Promise<number>;
  /** Number of keys (for admin statistics). */
  size(): Promise<number>;
  /** Round-trip check for /health. */
  ping(): Promise<boolean>;
}
