/**
 * `npm run export -- --format csv|json > plays.csv`: every play with every field, newest first,
 * streamed page by page from the store (the same pages GET /export/plays.{json,csv} serves, but
 * with no request size limit), so memory stays flat however big the hoard is. JSON is one array
 * of Play documents, CSV one header and a row per play (RFC 4180; see shared/export/plays.ts).
 * Both import back with `npm run import` (or POST /import).
 *
 * Options: --format csv|json (default json), --out FILE (default stdout), --aws (the deployed
 * table), --page-size N (plays per Query, default 500). Progress on stderr when it is a terminal.
 */
import { createWriteStream } from "node:fs";
import type { Writable } from "node:stream";
import { parseArgs } from "node:util";
import { csvHeader, playsToCsvRows } from "#shared/export/plays.ts";
import { openScriptStore } from "./store-deps.ts";

const USAGE = "usage: npm run export -- [--format csv|json] [--out FILE] [--aws] [--page-size N] > file";
const err = (line: string) => process.stderr.write(`${line}\n`);

const OPTIONS = {
  format: { type: "string" },
  out: { type: "string" },
  aws: { type: "boolean" },
  "page-size": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;
const parseCommandLine = () => parseArgs({ options: OPTIONS, allowPositionals: false });

function write(stream: Writable, text: string): Promise<void> {
  return new Promise((ok, fail) => {
    const onError = (e: Error) => fail(e);
    stream.once("error", onError);
    const flushed = stream.write(text, (e) => {
      stream.off("error", onError);
      if (e) fail(e);
      else if (flushed) ok();
    });
    if (!flushed) stream.once("drain", () => ok());
  });
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parseCommandLine>;
  try {
    args = parseCommandLine();
  } catch (e) {
    err(`${(e as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.values.help) {
    err(USAGE);
    return 0;
  }
  const format = args.values.format ?? "json";
  if (format !== "json" && format !== "csv") {
    err(`--format must be csv or json\n${USAGE}`);
    return 2;
  }
  const pageSize = Number(args.values["page-size"] ?? 500);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) {
    err("--page-size must be a whole number from 1 to 1000");
    return 2;
  }
  if (!args.values.out && process.stdout.isTTY) {
    err(
      `refusing to write the export to a terminal: redirect it (> plays.${format}) or pass --out\n${USAGE}`,
    );
    return 2;
  }
  const stream: Writable = args.values.out ? createWriteStream(args.values.out) : process.stdout;
  const store = await openScriptStore({ aws: args.values.aws === true });
  const tty = process.stderr.isTTY === true;
  let count = 0;
  try {
    await write(stream, format === "csv" ? csvHeader() : "[");
    let cursor: string | undefined;
    do {
      const page = await store.deps.store.listPlays({ limit: pageSize, ...(cursor ? { cursor } : {}) });
      if (page.items.length > 0) {
        const text =
          format === "csv"
            ? playsToCsvRows(page.items)
            : page.items.map((p, i) => `${count + i === 0 ? "\n" : ",\n"}${JSON.stringify(p)}`).join("");
        await write(stream, text);
        count += page.items.length;
        if (tty) process.stderr.write(`\r${count.toLocaleString("en-US")} plays exported`);
      }
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    if (format === "json") await write(stream, "\n]\n");
    if (stream !== process.stdout) await new Promise<void>((ok) => stream.end(ok));
  } finally {
    await store.close();
  }
  if (tty) process.stderr.write("\r\x1b[2K");
  err(`exported ${count.toLocaleString("en-US")} plays (${format}) from ${store.target}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    // A closed pipe (`| head`) is the reader's choice, not a failure.
    if ((e as NodeJS.ErrnoException).code === "EPIPE") process.exit(0);
    err(`export failed: ${(e as Error).message}`);
    process.exit(1);
  },
);
