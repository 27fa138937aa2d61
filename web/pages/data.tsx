import { useState } from "preact/hooks";
import { api, errorText } from "../api.ts";
import type { PageProps } from "../router.tsx";
import type { ImportSummary, Page, Play } from "../types.ts";
import { formatCount } from "../ui/format.ts";
import { type ImportFile, importFilesOf, uploadImport } from "../ui/import-files.ts";
import { ErrorBox, Panel } from "../ui/states.tsx";
import { Table } from "../ui/top-list.tsx";

/**
 * Import and export. Import takes Spotify's data download (the zip, or its JSON files) or our
 * own export; each history file is one POST /import, its upload shown as a progress bar, then
 * the rows it read, stored and skipped from the answer. A `partial` answer (the request's time
 * budget ran out) is sent again: the import resumes from its checkpoint.
 */

/** A file's answer: the rows skipped, whatever the reason (incognito, zero ms, duplicates…). */
const skippedOf = (s: ImportSummary) => Object.values(s.skipped).reduce((a, b) => a + b, 0);
/** Resends of one file before giving up (each resumes where the previous stopped). */
const MAX_ROUNDS = 50;

type Progress =
  | { stage: "idle" }
  | { stage: "reading" }
  | { stage: "uploading"; file: string; index: number; count: number; sent: number; total: number }
  | { stage: "storing"; file: string; index: number; count: number; rounds: number }
  | { stage: "done" };

export function DataPage(_props: PageProps) {
  const [picked, setPicked] = useState<File[]>([]);
  const [progress, setProgress] = useState<Progress>({ stage: "idle" });
  const [results, setResults] = useState<ImportSummary[]>([]);
  const [error, setError] = useState<unknown>(undefined);
  const busy = progress.stage === "reading" || progress.stage === "uploading" || progress.stage === "storing";

  const run = async (e: Event) => {
    e.preventDefault();
    if (picked.length === 0) return;
    setError(undefined);
    setResults([]);
    setProgress({ stage: "reading" });
    try {
      const files: ImportFile[] = [];
      for (const f of picked) files.push(...(await importFilesOf(f)));
      for (const [i, file] of files.entries()) {
        const at = { file: file.name, index: i + 1, count: files.length };
        let summary: ImportSummary | null = null;
        for (let round = 1; round <= MAX_ROUNDS && summary?.status !== "imported"; round++) {
          setProgress({ stage: "uploading", ...at, sent: 0, total: file.body.size });
          summary = await uploadImport(file, (sent, total) => {
            // The last byte sent: the server is storing now.
            if (sent >= total) setProgress({ stage: "storing", ...at, rounds: round });
            else setProgress({ stage: "uploading", ...at, sent, total });
          });
          if (summary.status === "already_imported") break;
        }
        if (summary) setResults((r) => [...r, summary]);
      }
      setProgress({ stage: "done" });
    } catch (err) {
      setError(err);
      setProgress({ stage: "idle" });
    }
  };

  return (
    <section>
      <h1>Data</h1>
      <div class="grid">
        <Panel title="Import" wide>
          <p>
            Your Spotify data download (the <code>my_spotify_data.zip</code> Spotify e-mails you, or the{" "}
            <code>Streaming_History_Audio_*.json</code> files in it), or a hoardify export. Listens already in
            your hoard are matched, never doubled, so importing twice is harmless. One file may be at most 6
            MB: split bigger ones, or use <code>npm run import</code>.
          </p>
          <form class="filters" onSubmit={run}>
            <label>
              Files
              <input
                type="file"
                name="files"
                accept=".zip,.json,.csv,application/zip,application/json,text/csv"
                multiple
                disabled={busy}
                onChange={(e) => setPicked([...(e.currentTarget.files ?? [])])}
              />
            </label>
            <button type="submit" class="primary" disabled={busy || picked.length === 0}>
              Import
            </button>
          </form>
          <ImportProgress progress={progress} />
          {error !== undefined ? <ErrorBox error={error} /> : null}
          {results.length > 0 ? <ImportResults results={results} /> : null}
        </Panel>
        <Panel title="Export" wide>
          <p>
            Every play you have, skips included, newest first. Both files import back (here, or with{" "}
            <code>npm run import</code>).
          </p>
          <ExportButtons />
        </Panel>
      </div>
    </section>
  );
}

function ImportProgress({ progress }: { progress: Progress }) {
  if (progress.stage === "idle") return null;
  let label: string;
  let value: number | undefined;
  if (progress.stage === "reading") label = "Reading the files…";
  else if (progress.stage === "uploading") {
    value = progress.total > 0 ? progress.sent / progress.total : 0;
    label = `Uploading ${progress.file} (${progress.index} of ${progress.count}): ${Math.round(value * 100)} %`;
  } else if (progress.stage === "storing") {
    label = `Storing ${progress.file} (${progress.index} of ${progress.count})${progress.rounds > 1 ? `, part ${progress.rounds}` : ""}…`;
  } else {
    value = 1;
    label = "Done.";
  }
  return (
    <div class="progress-line">
      <progress max={1} value={value} aria-label="Import progress" />
      <span role="status" aria-live="polite" data-stage={progress.stage}>
        {label}
      </span>
    </div>
  );
}

function ImportResults({ results }: { results: ImportSummary[] }) {
  const sum = (f: (s: ImportSummary) => number) => results.reduce((n, s) => n + f(s), 0);
  const row = (
    key: string,
    name: string,
    s: Pick<ImportSummary, "entries" | "imported" | "matched"> & { skipped: number },
  ) => (
    <tr key={key}>
      <th scope="row">{name}</th>
      <td data-col="read">{formatCount(s.entries)}</td>
      <td data-col="stored">{formatCount(s.imported)}</td>
      <td data-col="matched">{formatCount(s.matched)}</td>
      <td data-col="skipped">{formatCount(s.skipped)}</td>
    </tr>
  );
  return (
    <div class="import-results">
      <Table
        caption="What the import did"
        head={["File", "Rows read", "Stored", "Already in the hoard", "Skipped"]}
      >
        {results.map((s, i) =>
          row(`${i}-${s.file}`, s.status === "already_imported" ? `${s.file} (imported before)` : s.file, {
            ...s,
            skipped: skippedOf(s),
          }),
        )}
        {results.length > 1
          ? row("total", "Total", {
              entries: sum((s) => s.entries),
              imported: sum((s) => s.imported),
              matched: sum((s) => s.matched),
              skipped: sum(skippedOf),
            })
          : null}
      </Table>
      <p class="muted small">
        Skipped rows are private-session listens, rows with nothing heard, rows naming no track, repeated rows
        and implausible ones. Artists and albums of imported listens get their Spotify details with the next
        metadata sync.
      </p>
    </div>
  );
}

/** Fetches every page of the export (one request per 1,000 plays) and saves it as one file. */
async function exportAll(format: "json" | "csv", onCount: (n: number) => void): Promise<Blob> {
  let cursor: string | null = null;
  if (format === "json") {
    const plays: Play[] = [];
    do {
      const page: Page<Play> = await api.get<Page<Play>>("/export/plays.json", { limit: 1000, cursor });
      plays.push(...page.items);
      onCount(plays.length);
      cursor = page.next_cursor;
    } while (cursor);
    return new Blob([JSON.stringify(plays)], { type: "application/json" });
  }
  const parts: string[] = [];
  let count = 0;
  do {
    const url: string = `/export/plays.csv?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const res = await fetch(url, { credentials: "same-origin" });
    if (!res.ok) throw new Error(`The export answered ${res.status}.`);
    const text = await res.text();
    // Every page starts with the header: keep the first one only.
    parts.push(parts.length === 0 ? text : text.slice(text.indexOf("\n") + 1));
    count += Math.max(0, text.split("\n").filter((l) => l !== "").length - 1);
    onCount(count);
    cursor = res.headers.get("x-next-cursor");
  } while (cursor);
  return new Blob(parts, { type: "text/csv" });
}

function ExportButtons() {
  const [status, setStatus] = useState("");
  const [busy, setBusy] = useState(false);
  const save = async (format: "json" | "csv") => {
    setBusy(true);
    try {
      const blob = await exportAll(format, (n) => setStatus(`${formatCount(n)} plays fetched…`));
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = `plays.${format}`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
      setStatus(`Saved plays.${format}.`);
    } catch (err) {
      setStatus(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="filters">
      <button type="button" disabled={busy} onClick={() => save("json")}>
        Download as JSON
      </button>
      <button type="button" disabled={busy} onClick={() => save("csv")}>
        Download as CSV
      </button>
      <span class="muted small" role="status" aria-live="polite">
        {status}
      </span>
    </div>
  );
}
