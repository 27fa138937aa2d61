/**
 * `npm run import -- <files, folders or Spotify's zip>`: imports Spotify's streaming history
 * (the Extended export `Streaming_History_Audio_*.json`, the older account-data
 * `StreamingHistory*.json`) or our own export (`npm run export`, JSON or CSV) into the hoard.
 *
 * - Every file is validated before anything is written: one malformed file (named with the
 *   entry at fault) stops the whole run with nothing written.
 * - From a zip or a folder only the streaming-history files are taken (by Spotify's names);
 *   the rest of the download (Userdata.json, YourLibrary.json, …) is listed as ignored. A file
 *   named on the command line is always read.
 * - Resumable: each file's progress is checkpointed per chunk under its content hash, so a
 *   rerun skips finished files without reading them and resumes an interrupted one; Ctrl-C
 *   stops cleanly after the current chunk. Idempotent even without the checkpoints (--force).
 * - Progress on stderr (a live bar on a terminal, a line per file otherwise); the summary
 *   (imported, matched to listens already stored, skipped and why, per file) on stdout.
 *
 * Options: --dry-run (validate and count only), --force (ignore checkpoints), --json (summary
 * as JSON), --aws (the deployed table instead of the local one), --concurrency N.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import type { ImportSummary, SkipReason } from "#shared/http/schemas.ts";
import {
  type Checkpoint,
  contentHash,
  type ImportProgress,
  importParsed,
  newImportSession,
  readCheckpoint,
} from "#shared/import/importer.ts";
import {
  emptySkips,
  ImportFileError,
  parseImportFile,
  STREAMING_HISTORY_NAME,
} from "#shared/import/parse.ts";
import { looksLikeZip, readZip, ZipError } from "#shared/import/zip.ts";
import { packClosedMonths } from "#shared/stats/packs.ts";
import { openScriptStore } from "./store-deps.ts";

interface Source {
  name: string;
  load(): Buffer;
}

const USAGE =
  "usage: npm run import -- [--dry-run] [--force] [--json] [--aws] [--concurrency N] <file.json|file.csv|export.zip|folder>…";

const out = (line = "") => process.stdout.write(`${line}\n`);
const err = (line = "") => process.stderr.write(`${line}\n`);
const n = (x: number) => x.toLocaleString("en-US");

function collect(paths: string[]): { sources: Source[]; ignored: string[] } {
  const sources: Source[] = [];
  const ignored: string[] = [];
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
      d.isDirectory() ? walk(join(dir, d.name)) : [join(dir, d.name)],
    );
  for (const path of paths) {
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const file of walk(path).sort()) {
        if (STREAMING_HISTORY_NAME.test(file)) sources.push({ name: file, load: () => readFileSync(file) });
        else ignored.push(file);
      }
      continue;
    }
    const buf = readFileSync(path);
    if (looksLikeZip(buf)) {
      for (const m of readZip(buf, path).sort((a, b) => a.name.localeCompare(b.name))) {
        const name = `${basename(path)}:${m.name}`;
        if (STREAMING_HISTORY_NAME.test(m.name)) sources.push({ name, load: () => m.read() });
        else ignored.push(name);
      }
      continue;
    }
    sources.push({ name: path, load: () => buf });
  }
  return { sources, ignored };
}

/** A live line on a terminal, redrawn at most ten times a second; plain lines otherwise. */
function progressLine(total: number) {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  let fileNo = 0;
  let started = performance.now();
  return {
    startFile(name: string) {
      fileNo++;
      started = performance.now();
      if (!tty) err(`[${fileNo}/${total}] ${name}`);
    },
    update(p: ImportProgress, force = false) {
      if (!tty) return;
      const now = performance.now();
      if (!force && now - last < 100) return;
      last = now;
      const frac = p.of === 0 ? 1 : p.done / p.of;
      const width = 24;
      const filled = Math.round(frac * width);
      const rate = p.imported / Math.max(0.001, (now - started) / 1000);
      const bar = `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
      process.stderr.write(
        `\r\x1b[2K${bar} ${(frac * 100).toFixed(0).padStart(3)}%  file ${fileNo}/${total}  ` +
          `${n(p.done)}/${n(p.of)} listens  imported ${n(p.imported)}  matched ${n(p.matched)}  ${rate.toFixed(0)}/s`,
      );
    },
    endFile(s: ImportSummary) {
      if (tty) process.stderr.write("\r\x1b[2K");
      else err(`  ${s.status}: imported ${n(s.imported)}, matched ${n(s.matched)}`);
    },
  };
}

const REASONS: Record<SkipReason, string> = {
  incognito: "incognito",
  zero_ms: "ms_played 0",
  no_item: "no track/episode",
  duplicate_row: "duplicate rows",
  ms_played_too_long: "rejected: longer than the item or 24 h",
  time_out_of_range: "rejected: before 2008 or in the future",
};

function skippedText(s: Record<SkipReason, number>): string {
  const parts = (Object.keys(REASONS) as SkipReason[])
    .filter((r) => s[r] > 0)
    .map((r) => `${REASONS[r]} ${n(s[r])}`);
  return parts.length > 0 ? parts.join(", ") : "-";
}

function printTable(summaries: ImportSummary[]) {
  const rows = summaries.map((s) => [
    s.file,
    s.format,
    s.status,
    n(s.entries),
    n(s.imported),
    n(s.counted),
    n(s.matched),
    skippedText(s.skipped),
  ]);
  const sum = (f: (s: ImportSummary) => number) => n(summaries.reduce((a, s) => a + f(s), 0));
  const skippedTotal = summaries.reduce((acc, s) => {
    for (const r of Object.keys(acc) as SkipReason[]) acc[r] += s.skipped[r];
    return acc;
  }, emptySkips());
  rows.push([
    "total",
    "",
    "",
    sum((s) => s.entries),
    sum((s) => s.imported),
    sum((s) => s.counted),
    sum((s) => s.matched),
    skippedText(skippedTotal),
  ]);
  const head = ["file", "format", "status", "entries", "imported", "counted", "matched", "skipped (why)"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i >= 3 && i <= 6 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  out(line(head));
  for (const r of rows) out(line(r));
  out();
  out(
    "imported: stored now (estimated start = end − ms_played); counted: of those, plays (the rest are skips);",
  );
  out("matched: already in the hoard (live capture, backfill, an earlier import or file) — nothing written.");
}

const OPTIONS = {
  "dry-run": { type: "boolean" },
  force: { type: "boolean" },
  json: { type: "boolean" },
  aws: { type: "boolean" },
  concurrency: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;
const parseCommandLine = () => parseArgs({ options: OPTIONS, allowPositionals: true });

async function main(): Promise<number> {
  let args: ReturnType<typeof parseCommandLine>;
  try {
    args = parseCommandLine();
  } catch (e) {
    err(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.values.help || args.positionals.length === 0) {
    err(USAGE);
    return args.values.help ? 0 : 2;
  }
  const dryRun = args.values["dry-run"] === true;
  const concurrency = Number(args.values.concurrency ?? 8);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) {
    err("--concurrency must be a whole number from 1 to 64");
    return 2;
  }

  let sources: Source[];
  let ignored: string[];
  try {
    ({ sources, ignored } = collect(args.positionals));
  } catch (e) {
    err(e instanceof ZipError ? e.message : `cannot read the input: ${(e as Error).message}`);
    return 1;
  }
  if (ignored.length > 0)
    err(`ignored (not streaming history): ${ignored.map((f) => basename(f)).join(", ")}`);
  if (sources.length === 0) {
    err("nothing to import: no streaming-history file among the inputs");
    return 1;
  }

  const store = dryRun ? null : await openScriptStore({ aws: args.values.aws === true });
  try {
    // Validate everything first: a malformed file stops the run before anything is written.
    // A file whose checkpoint says it is finished is not even parsed.
    const bad: string[] = [];
    const plan: { src: Source; sha256: string; checkpoint: Checkpoint | null; total: number }[] = [];
    for (const src of sources) {
      try {
        const content = src.load();
        const sha256 = contentHash(content);
        // --force checks finished files again (a chunk a crash left half-written is finished first anyway).
        const checkpoint = store ? await readCheckpoint(store.deps.store, sha256) : null;
        if (checkpoint?.finished && !args.values.force) {
          plan.push({ src, sha256, checkpoint, total: checkpoint.entries });
          continue;
        }
        const parsed = parseImportFile(src.name, content);
        plan.push({ src, sha256, checkpoint, total: parsed.total });
        if (dryRun) {
          out(
            `${src.name}: ${parsed.format}, ${n(parsed.total)} entries, ${n(parsed.entries.length)} listens ` +
              `to match or import, skipped: ${skippedText(parsed.skipped)}`,
          );
        }
      } catch (e) {
        if (e instanceof ImportFileError || e instanceof ZipError) bad.push(e.message);
        else throw e;
      }
    }
    if (bad.length > 0) {
      err(`Nothing was imported: ${bad.length} file${bad.length === 1 ? " is" : "s are"} malformed.`);
      for (const b of bad) err(`  ${b}`);
      return 1;
    }
    if (!store) return 0;

    err(`importing ${sources.length} file${sources.length === 1 ? "" : "s"} into ${store.target}`);
    const abort = new AbortController();
    process.once("SIGINT", () => {
      err("\nstopping after the current chunk (run the same command again to resume)…");
      abort.abort();
    });
    const summaries: ImportSummary[] = [];
    const progress = progressLine(sources.length);
    const session = newImportSession();
    for (const { src, sha256, checkpoint, total } of plan) {
      if (abort.signal.aborted) break;
      progress.startFile(src.name);
      const summary: ImportSummary =
        checkpoint?.finished && !args.values.force
          ? {
              file: src.name,
              format: checkpoint.format,
              sha256,
              status: "already_imported",
              entries: total,
              imported: 0,
              counted: 0,
              matched: 0,
              skipped: emptySkips(),
              resumed_from: null,
            }
          : await importParsed(
              store.deps.store,
              parseImportFile(src.name, src.load()),
              sha256,
              {
                concurrency,
                session,
                resume: !args.values.force,
                signal: abort.signal,
                onProgress: (p) => progress.update(p),
              },
              checkpoint,
            );
      progress.endFile(summary);
      summaries.push(summary);
    }
    if (summaries.some((s) => s.imported > 0) && store) {
      // Months the import filled are packed now rather than at the next hourly run.
      const packed = await packClosedMonths(store.deps.store, Date.now());
      err(`Packed ${packed.packed} of ${packed.months} closed months for the statistics.`);
    }
    if (args.values.json) out(JSON.stringify(summaries, null, 2));
    else printTable(summaries);
    if (summaries.some((s) => s.status === "already_imported")) {
      err("already_imported: finished by an earlier run (same content); --force checks such files again.");
    }
    if (abort.signal.aborted || summaries.some((s) => s.status === "partial")) {
      err("Interrupted: run the same command again to resume where it stopped.");
      return 130;
    }
    return 0;
  } finally {
    await store?.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    err(`import failed: ${(e as Error).message}`);
    err("What was written so far is kept and checkpointed: run the same command again to resume.");
    process.exit(1);
  },
);
