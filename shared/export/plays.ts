import type { Play } from "../domain/entities.ts";

/**
 * The export formats of the hoard: every Play field, as JSON or as CSV (RFC 4180), and the
 * CSV reader the importer uses to take an export back. Pure functions, shared by the export
 * routes, the export CLI and the importer.
 *
 * CSV cell rules (lossless, so an exported file imports back to the same plays):
 * - a column per Play field, named as in the JSON; the header is the first record;
 * - null is an empty cell; an empty string is a quoted empty cell (`""`), so the two differ;
 * - booleans are `true` / `false`; numbers are decimal;
 * - `artists` (a list of `{id, name}`) is its JSON text in one cell;
 * - a cell holding a comma, a double quote, CR or LF is quoted, quotes doubled; records end in CRLF;
 * - a text cell a spreadsheet would run as a formula (starting with `= + - @`, tab or CR, after
 *   any apostrophes) gets one more leading `'` (OWASP's CSV-injection advice); reading drops
 *   exactly that one, so `=x`, `'=x` and `'x` all round-trip.
 */

type Codec = "string" | "nullable-string" | "int" | "bool" | "nullable-bool" | "json";

/** Every Play field with its CSV codec; a field added to Play fails the type check here. */
const CODECS = {
  track_id: "string",
  kind: "string",
  name: "string",
  artists: "json",
  album_id: "nullable-string",
  listened_at: "string",
  ended_at: "string",
  listened_ms: "int",
  duration_ms: "int",
  counted: "bool",
  estimated: "bool",
  source: "string",
  device_name: "nullable-string",
  device_type: "nullable-string",
  context_type: "nullable-string",
  context_uri: "nullable-string",
  shuffle_state: "nullable-bool",
} as const satisfies Record<keyof Play, Codec>;

export const PLAY_COLUMNS = Object.keys(CODECS) as (keyof Play)[];

export const CSV_CONTENT_TYPE = "text/csv; charset=utf-8; header=present";

function quote(text: string): string {
  return text === "" || /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const FORMULA_LIKE = /^'*[=+\-@\t\r]/;
const defuse = (text: string) => (FORMULA_LIKE.test(text) ? `'${text}` : text);
const restore = (text: string) => (text.startsWith("'") && FORMULA_LIKE.test(text) ? text.slice(1) : text);

export function cell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return quote(defuse(value));
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return quote(JSON.stringify(value));
}

export const csvHeader = (): string => `${PLAY_COLUMNS.join(",")}\r\n`;

export function playsToCsvRows(plays: readonly Play[]): string {
  let out = "";
  for (const p of plays) out += `${PLAY_COLUMNS.map((c) => cell(p[c])).join(",")}\r\n`;
  return out;
}

export function playsToCsv(plays: readonly Play[]): string {
  return csvHeader() + playsToCsvRows(plays);
}

// ------------------------------------------------------------------------------ reading

export interface CsvCell {
  text: string;
  quoted: boolean;
}

export class CsvSyntaxError extends Error {
  /** 0-based record number (the header is record 0). */
  readonly record: number;
  constructor(record: number, message: string) {
    super(message);
    this.name = "CsvSyntaxError";
    this.record = record;
  }
}

/** RFC 4180 records (CRLF or LF line ends; quoted cells may span lines). */
export function parseCsv(text: string): CsvCell[][] {
  const records: CsvCell[][] = [];
  let record: CsvCell[] = [];
  let i = 0;
  const n = text.length;
  const endRecord = () => {
    records.push(record);
    record = [];
  };
  while (i < n) {
    let cellText = "";
    let quoted = false;
    if (text[i] === '"') {
      quoted = true;
      i++;
      for (;;) {
        if (i >= n)
          throw new CsvSyntaxError(records.length, "a quoted cell is never closed (truncated file?)");
        const ch = text[i];
        if (ch === '"') {
          if (text[i + 1] === '"') {
            cellText += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        const next = text.indexOf('"', i);
        const stop = next < 0 ? n : next;
        cellText += text.slice(i, stop);
        i = stop;
      }
      const after = text[i];
      if (i < n && after !== "," && after !== "\r" && after !== "\n") {
        throw new CsvSyntaxError(records.length, "text follows a closing quote");
      }
    } else {
      let stop = i;
      while (stop < n && text[stop] !== "," && text[stop] !== "\r" && text[stop] !== "\n") stop++;
      cellText = text.slice(i, stop);
      if (cellText.includes('"')) {
        throw new CsvSyntaxError(records.length, "a double quote inside an unquoted cell");
      }
      i = stop;
    }
    record.push({ text: cellText, quoted });
    if (i >= n) {
      endRecord();
      break;
    }
    const sep = text[i];
    if (sep === ",") {
      i++;
      if (i >= n) {
        record.push({ text: "", quoted: false });
        endRecord();
      }
    } else {
      i += sep === "\r" && text[i + 1] === "\n" ? 2 : 1;
      endRecord();
    }
  }
  return records;
}

/** One CSV record as the object it was exported from; cells that do not decode are reported. */
export function csvRecordToObject(
  columns: readonly string[],
  cells: readonly CsvCell[],
): { value: Record<string, unknown>; problems: { field: string; message: string }[] } {
  const value: Record<string, unknown> = {};
  const problems: { field: string; message: string }[] = [];
  columns.forEach((column, i) => {
    const c = cells[i] ?? { text: "", quoted: false };
    const codec: Codec | undefined = (CODECS as Record<string, Codec>)[column];
    if (!codec) return;
    const empty = c.text === "" && !c.quoted;
    switch (codec) {
      case "string":
        value[column] = restore(c.text);
        break;
      case "nullable-string":
        value[column] = empty ? null : restore(c.text);
        break;
      case "int": {
        const v = /^-?\d+$/.test(c.text) ? Number(c.text) : Number.NaN;
        if (Number.isNaN(v)) problems.push({ field: column, message: `is not a whole number: ${c.text}` });
        value[column] = v;
        break;
      }
      case "bool":
      case "nullable-bool":
        if (c.text === "true" || c.text === "false") value[column] = c.text === "true";
        else if (codec === "nullable-bool" && empty) value[column] = null;
        else
          problems.push({ field: column, message: `must be true or false, got ${JSON.stringify(c.text)}` });
        break;
      case "json":
        try {
          value[column] = JSON.parse(c.text);
        } catch {
          problems.push({ field: column, message: "is not JSON" });
        }
        break;
    }
  });
  return { value, problems };
}
