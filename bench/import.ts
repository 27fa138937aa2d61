/**
 * Import throughput (issue target: ≥ 1,000 plays/s end to end): a generated 20,000-entry
 * Extended streaming history (5,000 tracks over several years, real-shaped rows) parsed and
 * validated, then imported into a fresh DynamoDB Local table through the real importer, as
 * `npm run import` runs it (default chunks: one matching Query, one batch of track reads and one
 * recordPlayBatch each, the next chunk's reads overlapping this one's writes). Several runs, each
 * into its own table; the median is printed beside the target, with the DynamoDB calls and items
 * written per play that explain it. BENCH_IMPORT_SECONDS stops a run early (the importer is
 * resumable, so a partial run is how a real import behaves when stopped); 0 (the default) runs to
 * the end. Run on its own: `node bench/import.ts` (starts its own DynamoDB Local).
 */
import { type DynamoDBDocumentClient, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { startDynamoDbLocal } from "#infra/local/processes.ts";
import { mapLimit } from "#shared/concurrency.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import { DEFAULT_CHUNK_SIZE, importContent, importParsed } from "#shared/import/importer.ts";
import { parseImportFile } from "#shared/import/parse.ts";
import { createAggregateFold } from "#shared/stats/aggregates.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import { createDynamoStore } from "#shared/store/repository.ts";
import { generatedExport } from "#test/support/exports.ts";

const TARGET_PLAYS_PER_S = 1000;
const rate = (n: number, ms: number) => `${Math.round(n / (ms / 1000)).toLocaleString("en-US")}/s`;
const count = (n: number) => n.toLocaleString("en-US");

/** DynamoDB calls by command, and the items they read or write. */
interface Calls {
  calls: Record<string, number>;
  itemsWritten: number;
  transactionItems: number;
  itemsRead: number;
}

function countCalls(client: DynamoDBDocumentClient): Calls {
  const c: Calls = { calls: {}, itemsWritten: 0, transactionItems: 0, itemsRead: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      // PutItem (low level) or Put (document client) alike.
      const name = (context.commandName ?? "?").replace(/Command$/, "").replace(/Items?$/, "");
      c.calls[name] = (c.calls[name] ?? 0) + 1;
      const input = args.input as {
        TransactItems?: unknown[];
        RequestItems?: Record<string, unknown[] | { Keys: unknown[] }>;
      };
      if (input.TransactItems) {
        c.itemsWritten += input.TransactItems.length;
        c.transactionItems += input.TransactItems.length;
      } else if (name === "BatchWrite") {
        c.itemsWritten += Object.values(input.RequestItems ?? {}).flat().length;
      } else if (name === "Put" || name === "Update" || name === "Delete") c.itemsWritten += 1;
      else if (name === "BatchGet") {
        c.itemsRead += Object.values(input.RequestItems ?? {}).reduce(
          (n, r) => n + (Array.isArray(r) ? r.length : r.Keys.length),
          0,
        );
      } else if (name === "Get") c.itemsRead += 1;
      return next(args);
    },
    { step: "initialize", name: "benchImportCalls" },
  );
  return c;
}

/**
 * How many items a second DynamoDB Local applies in transactions of 100 updates of the
 * aggregate kind (SET display fields, ADD counters), on a scratch table, after a warm-up: the
 * rate the import's writes are bounded by on this machine.
 */
async function transactionCeiling(endpoint: string): Promise<number> {
  const client = createDocumentClient({ region: "us-east-1", endpoint });
  const TableName = `bench-ceiling-${Date.now()}`;
  await ensureTable(client, TableName);
  const send = async (round: string, n: number) => {
    const groups = Array.from({ length: n }, (_, g) => g);
    await mapLimit(groups, 4, (g) =>
      client.send(
        new TransactWriteCommand({
          TransactItems: Array.from({ length: 100 }, (_, i) => ({
            Update: {
              TableName,
              Key: { pk: `AGG#${round}${g % 8}`, sk: `TRACK#${g}-${i}` },
              UpdateExpression: "SET #n = :n, image_url = :img ADD plays :one, listened_ms :ms",
              ExpressionAttributeNames: { "#n": "name" },
              ExpressionAttributeValues: { ":n": `Track ${i}`, ":img": null, ":one": 1, ":ms": 180_000 },
            },
          })),
        }),
      ),
    );
  };
  await send("warm", 40);
  const t = performance.now();
  await send("timed", 80);
  return (80 * 100) / ((performance.now() - t) / 1000);
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] ?? Number.NaN;
};

/**
 * What the same code meets on DynamoDB itself (on-demand), from the items it writes per play.
 * Every write of a batch is transactional (2 write units per item up to 1 KB); every play lands
 * in the one PLAYS partition (1,000 write units a second per partition, and imports write in
 * key order, so splitting it for heat does not help); a new on-demand table serves 4,000 write units
 * a second at first and doubles its previous peak as traffic stays. Parts hold at most 100
 * items (the transaction limit), marker deletion 25 (BatchWriteItem's). A throttled transaction
 * is sent again with back-off (import-batch.ts); past the retries the import stops, and a rerun
 * resumes at the chunk.
 */
function realDynamoDb(txPerPlay: number) {
  const wruPerPlay = 2 * txPerPlay;
  const tableCap = Math.floor(4000 / wruPerPlay);
  console.log(
    `  on DynamoDB (on-demand): ${txPerPlay.toFixed(2)} transactional items per play bill ≥ ${wruPerPlay.toFixed(1)} WRU per play` +
      ` (plus index writes), so 1,000 plays/s needs ≥ ${count(Math.round(1000 * wruPerPlay))} WRU/s; a new table's 4,000 WRU/s` +
      ` carry ~${count(tableCap)} plays/s until it scales, and the one PLAYS partition (1,000 WCU/s, 2 per transactional put)` +
      ` caps plays at ~500/s however it scales; beyond, throttled parts are retried with back-off, then the import stops and resumes`,
  );
}

export async function importBench(endpoint: string): Promise<void> {
  const n = Number(process.env.BENCH_IMPORT_ENTRIES ?? 20_000);
  const runs = Math.max(1, Number(process.env.BENCH_IMPORT_RUNS ?? 3));
  const budgetS = Number(process.env.BENCH_IMPORT_SECONDS ?? 0);
  const concurrency = Number(process.env.BENCH_IMPORT_CONCURRENCY ?? 8);
  const chunkSize = process.env.BENCH_IMPORT_CHUNK ? Number(process.env.BENCH_IMPORT_CHUNK) : undefined;
  console.log(
    `\n## Import of a generated ${count(n)}-entry Extended streaming history into DynamoDB Local` +
      ` (${runs} runs, each into a fresh table; chunks of ${chunkSize ?? "the default"}` +
      `${budgetS > 0 ? `, stopped after ${budgetS} s` : ""})`,
  );
  const rows = generatedExport(n, { tracks: 5000 });
  const text = JSON.stringify(rows);
  console.log(`  file: ${(text.length / 1e6).toFixed(1)} MB of JSON`);

  let t = performance.now();
  const parsed = parseImportFile("Streaming_History_Audio_bench.json", text);
  const parseMs = performance.now() - t;
  const distinct = new Set(parsed.entries.map((e) => e.play.track_id)).size;
  console.log(
    `  parse + validate: ${count(parsed.total)} entries in ${(parseMs / 1000).toFixed(2)} s (${rate(parsed.total, parseMs)}); ` +
      `${count(parsed.entries.length)} listens of ${count(distinct)} tracks, skipped ${JSON.stringify(parsed.skipped)}`,
  );

  // What a batch writes, by chunk size: the plays, one update per track and per aggregate item
  // the chunk touches (merged by the same fold recordPlayBatch uses), before any marker.
  const perChunk = [1000, DEFAULT_CHUNK_SIZE, parsed.entries.length].map((size) => {
    let items = 0;
    for (let i = 0; i < parsed.entries.length; i += size) {
      const fold = createAggregateFold();
      const chunk = parsed.entries.slice(i, i + size);
      for (const e of chunk) fold.add(e.play, e.track.album);
      items += chunk.length + fold.deltas().length + new Set(chunk.map((e) => e.play.track_id)).size;
    }
    return `${(items / parsed.entries.length).toFixed(2)} at ${count(size)}`;
  });
  console.log(`  items a batch writes per play, by chunk size: ${perChunk.join(", ")}`);

  const rates: number[] = [];
  let txPerPlay = 0;
  let last: { store: ReturnType<typeof createDynamoStore>; done: number } | null = null;
  for (let run = 1; run <= runs; run++) {
    const client = createDocumentClient({ region: "us-east-1", endpoint });
    const tableName = `bench-import-${Date.now()}-${run}`;
    await ensureTable(client, tableName);
    const calls = countCalls(client);
    const store = createDynamoStore({ client, tableName, listener: OWNER_ID });
    t = performance.now();
    const summary = await importParsed(store, parsed, "bench", {
      concurrency,
      ...(chunkSize ? { chunkSize } : {}),
      ...(budgetS > 0 ? { deadline: t + budgetS * 1000 } : {}),
    });
    const importMs = performance.now() - t;
    const done = summary.imported + summary.matched;
    const perSecond = done / (importMs / 1000);
    rates.push(perSecond);
    last = { store, done };
    const perPlay = (x: number) => (x / Math.max(1, summary.imported)).toFixed(2);
    txPerPlay = calls.transactionItems / Math.max(1, summary.imported);
    const byCommand = Object.entries(calls.calls)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k} ${count(v)}`)
      .join(", ");
    console.log(
      `  run ${run}: ${count(done)} of ${count(parsed.entries.length)} listens in ${(importMs / 1000).toFixed(1)} s: ` +
        `${count(Math.round(perSecond))} plays/s (${summary.status}); ` +
        `${perPlay(calls.itemsWritten)} items written per play (${perPlay(calls.transactionItems)} in transactions), ` +
        `${count(calls.itemsRead)} items read by key; calls: ${byCommand}`,
    );
  }
  const m = median(rates);
  console.log(
    `  median ${count(Math.round(m))} plays/s (target ≥ ${count(TARGET_PLAYS_PER_S)}: ${m >= TARGET_PLAYS_PER_S ? "met" : "NOT met"})`,
  );
  // Measured after the runs: DynamoDB Local's JVM is warm then, as it was for the later runs.
  const ceiling = await transactionCeiling(endpoint);
  console.log(
    `  DynamoDB Local's ceiling here: ${count(Math.round(ceiling))} items/s in 100-item update transactions, 4 at a time;` +
      ` at ${txPerPlay.toFixed(2)} transactional items per play that ceiling allows ~${count(Math.round(ceiling / txPerPlay))} plays/s`,
  );
  realDynamoDb(txPerPlay);
  if (budgetS > 0 && last && last.done < parsed.entries.length) {
    console.log(
      `  the whole file at this rate: ~${(parsed.entries.length / m / 60).toFixed(1)} min here (resumable: a rerun continues at the checkpoint)`,
    );
  }

  if (!last) return;
  // Importing again what is already there: one Query per chunk, nothing written.
  // (only rows already imported: the first ones, since the generated rows are in time order)
  const again = rows.slice(0, Math.min(last.done, 10_000));
  const firstListens = parseImportFile("again.json", JSON.stringify(again)).entries.length;
  t = performance.now();
  const re = await importContent(last.store, "again.json", JSON.stringify(again), {
    resume: false,
    concurrency,
  });
  const reMs = performance.now() - t;
  console.log(
    `  re-import of the first ${count(again.length)} rows: matched ${count(re.matched)}, imported ${count(re.imported)} ` +
      `of ${count(firstListens)} listens in ${(reMs / 1000).toFixed(1)} s (${rate(re.matched + re.imported, reMs)})`,
  );
}

if (import.meta.main) {
  process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
  const dynamo = await startDynamoDbLocal();
  try {
    await importBench(dynamo.endpoint);
  } finally {
    await dynamo.stop();
  }
}
