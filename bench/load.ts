/**
 * The load generator, run as its own process so it does not share an event loop with the
 * server it measures. Sends `n` sequential requests (after `warmup`) and prints one JSON line:
 * the latencies in ms and the last response's size.
 *   node bench/load.ts '{"url": "...", "n": 2000, "warmup": 100, "headers": {...}, "method": "GET"}'
 */
const spec = JSON.parse(process.argv[2] ?? "{}") as {
  url: string;
  n: number;
  warmup?: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
};

const once = async () => {
  const t0 = performance.now();
  const res = await fetch(spec.url, {
    method: spec.method ?? "GET",
    headers: spec.headers ?? {},
    body: spec.body,
  });
  const buf = await res.arrayBuffer();
  return { ms: performance.now() - t0, status: res.status, bytes: buf.byteLength };
};

for (let i = 0; i < (spec.warmup ?? 50); i++) await once();
const latencies: number[] = [];
const statuses = new Map<number, number>();
let bytes = 0;
for (let i = 0; i < spec.n; i++) {
  const r = await once();
  latencies.push(r.ms);
  statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
  bytes = r.bytes;
}
process.stdout.write(`${JSON.stringify({ latencies, bytes, statuses: Object.fromEntries(statuses) })}\n`);
