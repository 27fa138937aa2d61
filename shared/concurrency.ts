/**
 * Runs `fn` over `items`, at most `limit` at a time, results in input order. After a failure no
 * new item starts, and the ones in flight are waited for before the first error is thrown:
 * nothing keeps writing after the caller has been told it failed (an import batch's retry must
 * not race its own leftovers).
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (t: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    for (let i = next++; i < items.length && !failed; i = next++) {
      try {
        out[i] = await fn(items[i] as T);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  const settled = await Promise.allSettled(Array.from({ length: Math.min(limit, items.length) }, worker));
  const rejected = settled.find((r) => r.status === "rejected");
  if (rejected) throw rejected.reason;
  return out;
}
