/**
 * Import throughput: a generated 100,000-entry Extended streaming history (5,000 tracks over
 * several years, real-shaped rows) parsed and validated, then imported into DynamoDB Local
 * through the real importer, as `npm run import` runs it (chunks of 1,000: one matching Query
 * and one recordPlayBatch each). Writing is bounded by DynamoDB Local, which runs every item
 * update on this machine's CPU; the run stops after BENCH_IMPORT_SECONDS (default 300) and
 * reports the rate and what the whole file would take (the importer is resumable, so a partial
 * run is how a real import behaves when stopped). BENCH_IMPORT_SECONDS=0 runs to the end.
 * Run on its own: `node bench/import.ts` (starts its own DynamoDB Local).
 */
import { startDynamoDbLocal } from "#infra/local/processes.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import { importContent, importParsed } from "#shared/import/importer.ts";
import { parseImportFile } from "#shared/import/parse.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import { createDynamoStore } from "#shared/store/repository.ts";
import { generatedExport } from "#test/support/exports.ts";

const rate = (n: number, ms: number) => `${Math.round(n / (ms / 1000)).toLocaleString("en-US")}/s`;
const count = (n: number) => n.toLocaleString("en-US");

export async function importBench(endpoint: string): Promise<void> {
  const n = Number(process.env.BENCH_IMPORT_ENTRIES ?? 100_000);
  const budgetS = Number(process.env.BENCH_IMPORT_SECONDS ?? 300);
  const concurrency = Number(process.env.BENCH_IMPORT_CONCURRENCY ?? 8);
  console.log(
    `\n## Import of a generated ${count(n)}-entry Extended streaming history into DynamoDB Local` +
      ` (concurrency ${concurrency}${budgetS > 0 ? `, stopped after ${budgetS} s` : ""})`,
  );
  const rows = generatedExport(n, { tracks: 5000 });
  const text = JSON.stringify(rows);
  console.log(`  file: ${(text.length / 1e6).toFixed(1)} MB of JSON`);

  let t = performance.now();
  const parsed = parseImportFile("Streaming_History_Audio_bench.json", text);
  const parseMs = performance.now() - t;
  console.log(
    `  parse + validate: ${count(parsed.total)} entries in ${(parseMs / 1000).toFixed(2)} s (${rate(parsed.total, parseMs)}); ` +
      `${count(parsed.entries.length)} listens, skipped ${JSON.stringify(parsed.skipped)}`,
  );

  const client = createDocumentClient({ region: "us-east-1", endpoint });
  const tableName = `bench-import-${Date.now()}`;
  await ensureTable(client, tableName);
  const store = createDynamoStore({ client, tableName, listener: OWNER_ID });
  t = performance.now();
  const summary = await importParsed(store, parsed, "bench", {
    concurrency,
    chunkSize: 1000,
    ...(budgetS > 0 ? { deadline: t + budgetS * 1000 } : {}),
  });
  const importMs = performance.now() - t;
  const done = summary.imported + summary.matched;
  const perSecond = done / (importMs / 1000);
  console.log(
    `  import: ${count(done)} of ${count(parsed.entries.length)} listens in ${(importMs / 1000).toFixed(1)} s: ` +
      `${Math.round(perSecond).toLocaleString("en-US")} plays/s (imported ${count(summary.imported)}, matched ${count(summary.matched)}, ${summary.status})`,
  );
  if (summary.status === "partial") {
    const minutes = parsed.entries.length / perSecond / 60;
    console.log(
      `  the whole file at this rate: ~${minutes.toFixed(1)} min here (resumable: a rerun continues at the checkpoint)`,
    );
  }

  // Importing again what is already there: one Query per chunk, nothing written.
  // (only rows already imported: the first ones, since the generated rows are in time order)
  const again = rows.slice(0, Math.min(done, 10_000));
  const firstListens = parseImportFile("again.json", JSON.stringify(again)).entries.length;
  t = performance.now();
  const re = await importContent(store, "again.json", JSON.stringify(again), { resume: false, concurrency });
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
