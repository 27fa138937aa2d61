import * as z from "zod";
import { EARLIEST_LISTEN_MS, type ItemKind, type Play, playSchema } from "../domain/entities.ts";
import {
  isPlaceholderName,
  nameKey,
  syntheticAlbumId,
  syntheticArtistId,
  syntheticTrackId,
} from "../domain/names.ts";
import { countsAsPlay, DEFAULT_TRACKER_OPTIONS } from "../domain/tracker.ts";
import { CsvSyntaxError, csvRecordToObject, PLAY_COLUMNS, parseCsv } from "../export/plays.ts";
import type { ImportFormat, SkipReason } from "../http/schemas.ts";
import { DAY_MS } from "../stats/zones.ts";
import type { TrackInfo } from "../store/port.ts";

/**
 * The import parser: one file's text in, the listens it holds out, as the plays we would store.
 * Pure (no I/O, no clock). It validates the WHOLE file before the importer writes anything, and
 * a malformed file is an ImportFileError naming the file and the entry (0-based array index, or
 * the data row of a CSV file).
 *
 * Formats, recognised by their content (not their name):
 * - Spotify's Extended streaming history (`Streaming_History_Audio_*.json`, `…_Video_*.json`):
 *   `ts` is when the stream ENDED (UTC), `ms_played` how long it played. Tracks are keyed by the
 *   id in `spotify_track_uri`, episodes by the id in `spotify_episode_uri` (as live capture keys
 *   them), `spotify:local:` URIs are local files keyed by the URI.
 * - Spotify's older account data (`StreamingHistory*.json`, `StreamingHistory_music_*.json`):
 *   `endTime` "yyyy-MM-dd HH:mm" (UTC, minute precision), `artistName`, `trackName`, `msPlayed`;
 *   `StreamingHistory_podcast_*.json` has `podcastName` and `episodeName` instead. These name
 *   no ids, so an item is keyed by a stable synthetic id derived from its names
 *   (`name:` + 22 base64url characters of SHA-256 over the normalised "artist\0title"); a track
 *   listened to live has its Spotify id instead, and the importer matches the two by name.
 * - Older Extended exports are named `endsong_N.json`; same rows.
 * Spotify's exports name artists and albums but carry no ids for them: they get synthetic ids
 * from their names (shared/domain/names.ts), so every imported listen counts for its artist and
 * album, the same whichever file or chunk it came in.
 * - Our own export (GET /export/plays.json pages, `npm run export` JSON or CSV): Play documents,
 *   taken back as they are (source, estimated and counted included).
 *
 * What a Spotify entry becomes (decided here, documented in the summary's reasons):
 * - `incognito_mode: true` is skipped: the person asked not to be recorded (live capture records
 *   nothing in a private session either);
 * - `ms_played` 0 is skipped: nothing was heard;
 * - an entry naming no track or episode (audiobook chapters, rows Spotify left without
 *   metadata, and the older export's "Unknown Artist" / "Unknown Track" stand-ins) is skipped
 *   as `no_item`: counting them would make one fictitious item top every chart;
 * - identical rows (the same item, end and `ms_played`) are one play (`duplicate_row`): exports
 *   repeat rows. Rows of one item ending at the same time with different `ms_played` are separate
 *   listens: the older export has minute precision, so two short listens can share a minute;
 * - start = end − ms_played, flagged `estimated` (pauses are not in the export), source
 *   "import"; `platform` becomes device_name, `shuffle` shuffle_state;
 * - counted = countsAsPlay(ms_played, duration), live capture's rule. The export carries no
 *   duration, so here it is unknown (0) and 30 s decides; the importer uses the duration when the
 *   hoard knows it from Spotify. Nothing in the file stands in for a duration (not `reason_end`
 *   "trackdone", which Spotify also writes for 2-second rows, nor the longest row seen so far):
 *   a guess learnt from other rows would make a listen count or not depending on which rows
 *   were imported before it. Spotify's own `skipped` flag is not used either.
 * - implausible rows are refused, counted, never stored (one of them used to poison the
 *   statistics for good): `ms_played_too_long` when it exceeds the item's duration, or 24 h
 *   when the duration is unknown; `time_out_of_range` when the listen starts before 2008 or
 *   ends more than a day after `nowMs`.
 */

export type { ImportFormat, SkipReason };

export interface ImportProblem {
  /** 0-based entry index; null when the problem is the file as a whole. */
  entry: number | null;
  field: string | null;
  message: string;
}

export class ImportFileError extends Error {
  readonly file: string;
  /** The first problems (at most MAX_PROBLEMS), in file order. */
  readonly problems: ImportProblem[];
  constructor(file: string, problems: ImportProblem[], extra = 0) {
    const first = problems[0];
    const where = first?.entry === null || first === undefined ? "" : ` entry [${first.entry}]`;
    const field = first?.field ? ` field ${first.field}` : "";
    const more = problems.length - 1 + extra;
    super(
      `${file}:${where}${field}${where || field ? ":" : ""} ${first?.message ?? "is malformed"}` +
        (more > 0 ? ` (and ${more} more problem${more === 1 ? "" : "s"})` : ""),
    );
    this.name = "ImportFileError";
    this.file = file;
    this.problems = problems;
  }
}

const MAX_PROBLEMS = 20;

export interface ImportEntry {
  /** Position in the file: the array index, or the data row of a CSV file (0-based). */
  index: number;
  play: Play;
  track: TrackInfo;
  /**
   * True for Spotify's exports: the play's item details, duration and so `counted` are taken
   * from the stored track when the hoard knows it (the export has no ids for artists and albums,
   * and no durations). Our own export is taken as it is.
   */
  refine: boolean;
  /** Normalised "artist\0title", to match listens of the same item keyed differently; null without names. */
  name_key: string | null;
}

export interface ParsedFile {
  file: string;
  format: ImportFormat;
  /** Rows in the file (every entry, skipped ones included). */
  total: number;
  /** The listens to import, in end order (then track, then start): a resumed run sees the same order. */
  entries: ImportEntry[];
  skipped: Record<SkipReason, number>;
}

export const emptySkips = (): Record<SkipReason, number> => ({
  incognito: 0,
  zero_ms: 0,
  no_item: 0,
  duplicate_row: 0,
  ms_played_too_long: 0,
  time_out_of_range: 0,
});

/** The longest a listen of unknown length may last: a day (nothing plays longer in one go). */
export const MAX_UNKNOWN_LISTEN_MS = DAY_MS;

/**
 * Why a listen cannot be real, or null. Checked on the numbers before any Date is built from
 * them: `ms_played: 9007199254740991` puts the start beyond what Date can represent.
 */
export function implausibility(
  listen: { startMs: number; endMs: number; listenedMs: number; durationMs: number },
  nowMs: number,
): "ms_played_too_long" | "time_out_of_range" | null {
  const { startMs, endMs, listenedMs, durationMs } = listen;
  if (listenedMs > (durationMs > 0 ? durationMs : MAX_UNKNOWN_LISTEN_MS)) return "ms_played_too_long";
  if (!(startMs >= EARLIEST_LISTEN_MS && endMs <= nowMs + DAY_MS)) return "time_out_of_range";
  return null;
}

// ------------------------------------------------------------------------------ names and keys

export { nameKey };

/** The name key of a stored play (its first artist, as Spotify's exports name one). */
export const playNameKey = (p: Pick<Play, "artists" | "name">): string | null =>
  nameKey(p.artists[0]?.name, p.name);

/** Stable synthetic id for an item known only by its names (the older account-data export). */
export const syntheticId = syntheticTrackId;

/** An artist named in an export, under its synthetic id (none for Spotify's stand-ins). */
const namedArtists = (name: string | null | undefined) =>
  name && !isPlaceholderName(name) ? [{ id: syntheticArtistId(name), name }] : [];

/** The storage key of a play (table.ts: `<listened_at>#<track_id>`). */
export const playKey = (p: Pick<Play, "listened_at" | "track_id">) => `${p.listened_at}#${p.track_id}`;

const iso = (ms: number) => new Date(ms).toISOString();

// ------------------------------------------------------------------------------ schemas

const endTimeMs = (t: string) => Date.parse(`${t.replace(" ", "T")}:00Z`);
const optString = z.string().nullish();
const optBool = z.boolean().nullish();
const msPlayed = z
  .number({ error: "must be a number of milliseconds" })
  .int("must be a whole number of milliseconds")
  .nonnegative("must not be negative");

const extendedSchema = z.looseObject({
  ts: z.iso.datetime({ offset: true, error: "must be an ISO-8601 time such as 2024-05-01T18:03:11Z" }),
  ms_played: msPlayed,
  spotify_track_uri: z
    .string()
    .regex(/^spotify:(track:[A-Za-z0-9]+|local:.*)$/, "must be a spotify:track: or spotify:local: URI")
    .nullish(),
  master_metadata_track_name: optString,
  master_metadata_album_artist_name: optString,
  master_metadata_album_album_name: optString,
  spotify_episode_uri: z
    .string()
    .regex(/^spotify:episode:[A-Za-z0-9]+$/, "must be a spotify:episode: URI")
    .nullish(),
  episode_name: optString,
  episode_show_name: optString,
  reason_start: optString,
  reason_end: optString,
  platform: optString,
  conn_country: optString,
  shuffle: optBool,
  skipped: optBool,
  offline: optBool,
  incognito_mode: optBool,
});
type ExtendedRow = z.infer<typeof extendedSchema>;

const endTime = z
  .string({ error: "must be a time such as 2023-05-01 18:03" })
  .regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/, "must be a time such as 2023-05-01 18:03 (UTC)")
  // Date.parse rolls 2023-02-30 over to March and gives NaN for month 13: neither is a time.
  .refine((t) => {
    const ms = endTimeMs(t);
    return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 16) === t.replace(" ", "T");
  }, "is not a real date and time");

const accountSchema = z.looseObject({
  endTime,
  artistName: z.string(),
  trackName: z.string(),
  msPlayed,
});
type AccountRow = z.infer<typeof accountSchema>;

const accountPodcastSchema = z.looseObject({
  endTime,
  podcastName: z.string(),
  episodeName: z.string(),
  msPlayed,
});
type AccountPodcastRow = z.infer<typeof accountPodcastSchema>;

const instant = z.string().refine((v) => !Number.isNaN(Date.parse(v)), "must be an ISO-8601 time");
const hoardifySchema = playSchema.extend({
  track_id: z.string().min(1, "must not be empty"),
  listened_at: instant,
  ended_at: instant,
});

// ------------------------------------------------------------------------------ entries

type Converted = { kind: "entry"; entry: Omit<ImportEntry, "index"> } | { kind: "skip"; reason: SkipReason };
/** What a row is judged against besides itself. */
interface ConvertContext {
  nowMs: number;
}

function spotifyEntry(
  item: Pick<TrackInfo, "track_id" | "kind" | "name" | "uri" | "artists" | "album">,
  endMs: number,
  ms: number,
  extra: Pick<Play, "device_name" | "shuffle_state">,
  key: string | null,
  ctx: ConvertContext,
): Converted {
  // Unknown until Spotify tells (the importer takes it from the stored track when known).
  const duration = 0;
  const rejected = implausibility(
    { startMs: endMs - ms, endMs, listenedMs: ms, durationMs: duration },
    ctx.nowMs,
  );
  if (rejected) return { kind: "skip", reason: rejected };
  const play: Play = {
    track_id: item.track_id,
    kind: item.kind,
    name: item.name,
    artists: item.artists,
    album_id: item.album?.id ?? null,
    listened_at: iso(endMs - ms),
    ended_at: iso(endMs),
    listened_ms: ms,
    duration_ms: duration,
    counted: countsAsPlay(ms, duration, DEFAULT_TRACKER_OPTIONS),
    estimated: true,
    source: "import",
    device_name: extra.device_name,
    device_type: null,
    context_type: null,
    context_uri: null,
    shuffle_state: extra.shuffle_state,
  };
  return {
    kind: "entry",
    entry: { play, track: { ...item, duration_ms: duration }, refine: true, name_key: key },
  };
}

function fromExtended(r: ExtendedRow, ctx: ConvertContext): Converted {
  if (r.incognito_mode === true) return { kind: "skip", reason: "incognito" };
  if (r.ms_played === 0) return { kind: "skip", reason: "zero_ms" };
  const end = Date.parse(r.ts);
  const extra = { device_name: r.platform ?? null, shuffle_state: r.shuffle ?? null };
  const trackName = r.master_metadata_track_name ?? null;
  const artistName = r.master_metadata_album_artist_name ?? null;
  const albumName = r.master_metadata_album_album_name ?? null;
  const artists = namedArtists(artistName);
  const album = albumName
    ? { id: syntheticAlbumId(artistName ?? "", albumName), name: albumName, image_url: null }
    : null;
  const uri = r.spotify_track_uri;
  if (uri) {
    const local = uri.startsWith("spotify:local:");
    const item = {
      track_id: local ? uri : uri.slice("spotify:track:".length),
      kind: (local ? "local" : "track") as ItemKind,
      name: trackName ?? "",
      uri,
      artists,
      album,
    };
    return spotifyEntry(item, end, r.ms_played, extra, nameKey(artistName, trackName), ctx);
  }
  if (r.spotify_episode_uri) {
    const show = r.episode_show_name ?? null;
    const item = {
      track_id: r.spotify_episode_uri.slice("spotify:episode:".length),
      kind: "episode" as const,
      name: r.episode_name ?? "",
      uri: r.spotify_episode_uri,
      // As live capture stores episodes: the show stands in for artist and album, without ids.
      artists: show ? [{ id: null, name: show }] : [],
      album: show ? { id: null, name: show, image_url: null } : null,
    };
    return spotifyEntry(item, end, r.ms_played, extra, nameKey(show, r.episode_name), ctx);
  }
  // No URI but names: a local file as older exports list them; keyed by its names.
  if (trackName && artistName && !isPlaceholderName(trackName) && !isPlaceholderName(artistName)) {
    const id = syntheticId(artistName, trackName);
    const item = { track_id: id, kind: "local" as const, name: trackName, uri: id, artists, album };
    return spotifyEntry(item, end, r.ms_played, extra, nameKey(artistName, trackName), ctx);
  }
  return { kind: "skip", reason: "no_item" };
}

function fromAccount(r: AccountRow, ctx: ConvertContext): Converted {
  if (r.msPlayed === 0) return { kind: "skip", reason: "zero_ms" };
  if (isPlaceholderName(r.artistName) || isPlaceholderName(r.trackName)) {
    return { kind: "skip", reason: "no_item" };
  }
  const id = syntheticId(r.artistName, r.trackName);
  const item = {
    track_id: id,
    kind: "track" as const,
    name: r.trackName,
    uri: id,
    artists: namedArtists(r.artistName),
    album: null,
  };
  const extra = { device_name: null, shuffle_state: null };
  return spotifyEntry(item, endTimeMs(r.endTime), r.msPlayed, extra, nameKey(r.artistName, r.trackName), ctx);
}

function fromAccountPodcast(r: AccountPodcastRow, ctx: ConvertContext): Converted {
  if (r.msPlayed === 0) return { kind: "skip", reason: "zero_ms" };
  const id = syntheticId(r.podcastName, r.episodeName);
  const show = { id: null, name: r.podcastName };
  const item = {
    track_id: id,
    kind: "episode" as const,
    name: r.episodeName,
    uri: id,
    artists: [show],
    album: { ...show, image_url: null },
  };
  const extra = { device_name: null, shuffle_state: null };
  return spotifyEntry(
    item,
    endTimeMs(r.endTime),
    r.msPlayed,
    extra,
    nameKey(r.podcastName, r.episodeName),
    ctx,
  );
}

/** The URI a stored play's item had (our export keeps the id only). */
function uriOf(p: Play): string {
  if (p.kind === "local" || p.track_id.includes(":")) return p.track_id;
  return `spotify:${p.kind}:${p.track_id}`;
}

function fromHoardify(p: z.infer<typeof hoardifySchema>, ctx: ConvertContext): Converted {
  const listen = {
    startMs: Date.parse(p.listened_at),
    endMs: Date.parse(p.ended_at),
    listenedMs: p.listened_ms,
    durationMs: p.duration_ms,
  };
  const rejected = implausibility(listen, ctx.nowMs);
  if (rejected) return { kind: "skip", reason: rejected };
  const play: Play = {
    ...p,
    listened_at: iso(Date.parse(p.listened_at)),
    ended_at: iso(Date.parse(p.ended_at)),
  };
  const track: TrackInfo = {
    track_id: play.track_id,
    kind: play.kind,
    name: play.name,
    uri: uriOf(play),
    artists: play.artists,
    // The export keeps the album id only; the metadata sync fills in the rest.
    album: play.album_id ? { id: play.album_id, name: "", image_url: null } : null,
    duration_ms: play.duration_ms,
  };
  return { kind: "entry", entry: { play, track, refine: false, name_key: playNameKey(play) } };
}

// ------------------------------------------------------------------------------ formats

interface FormatDef<S extends z.ZodType> {
  format: ImportFormat;
  /** Whether the first entry looks like this format (decides the format of the whole file). */
  looksLike: (keys: Set<string>) => boolean;
  schema: S;
  convert: (row: z.infer<S>, ctx: ConvertContext) => Converted;
}

const def = <S extends z.ZodType>(d: FormatDef<S>) => d as unknown as FormatDef<z.ZodType>;

const FORMATS = [
  def({
    format: "spotify-extended",
    looksLike: (k) => k.has("ts") && k.has("ms_played"),
    schema: extendedSchema,
    convert: fromExtended,
  }),
  def({
    format: "spotify-account",
    looksLike: (k) => k.has("endTime") && k.has("msPlayed") && (k.has("trackName") || k.has("artistName")),
    schema: accountSchema,
    convert: fromAccount,
  }),
  def({
    format: "spotify-account-podcast",
    looksLike: (k) => k.has("endTime") && k.has("msPlayed") && (k.has("episodeName") || k.has("podcastName")),
    schema: accountPodcastSchema,
    convert: fromAccountPodcast,
  }),
  def({
    format: "hoardify",
    looksLike: (k) => k.has("track_id") && k.has("listened_at") && k.has("ended_at"),
    schema: hoardifySchema,
    convert: fromHoardify,
  }),
];
const hoardifyFormat = FORMATS[3] as FormatDef<z.ZodType>;

const EXPECTED =
  "expected Spotify's streaming history (Streaming_History_Audio_*.json, StreamingHistory*.json) or a hoardify export";

/** What a JSON file we cannot use looks like, so the error says what it is. */
function describeObject(keys: string[]): string {
  const has = (k: string) => keys.includes(k);
  const hint =
    has("tracks") && (has("albums") || has("artists") || has("shows"))
      ? " (this looks like YourLibrary.json, your saved items)"
      : has("playlists")
        ? " (this looks like a Playlist*.json file)"
        : has("username") && (has("email") || has("country"))
          ? " (this looks like Userdata.json)"
          : "";
  return `a JSON object with keys ${keys.slice(0, 6).join(", ")}${keys.length > 6 ? ", …" : ""}${hint}`;
}

/**
 * How many top-level array entries start before `pos`: where in the file a JSON syntax error
 * sits, told as the entry a person can look for.
 */
function entryAt(text: string, pos: number): number | null {
  let depth = 0;
  let inString = false;
  let entries = 0;
  for (let i = 0; i < Math.min(pos, text.length); i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === "[" || ch === "{") depth++;
    else if (ch === "]" || ch === "}") depth--;
    else if (ch === "," && depth === 1) entries++;
  }
  return depth >= 1 ? entries : null;
}

function parseJsonText(file: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message;
    const m = /position (\d+)/.exec(message);
    const pos = m ? Number(m[1]) : text.length;
    // Breaking off at the very end (mid-string, mid-entry) is a cut file, not a typo.
    const truncated = pos >= text.trimEnd().length - 1 || /end of (JSON )?input/i.test(message);
    const entry = text.trimStart().startsWith("[") ? entryAt(text, pos) : null;
    throw new ImportFileError(file, [
      {
        entry,
        field: null,
        message: truncated
          ? `the file breaks off in the middle (${message}): it looks truncated; download or extract it again`
          : `is not valid JSON (${message})`,
      },
    ]);
  }
}

function fieldOf(issue: z.core.$ZodIssue): string | null {
  return issue.path.length > 0 ? issue.path.map(String).join(".") : null;
}

function convertRows(
  file: string,
  format: FormatDef<z.ZodType>,
  rows: readonly unknown[],
  ctx: ConvertContext,
  problemsIn: ImportProblem[] = [],
): ParsedFile {
  const problems = [...problemsIn];
  const reported = new Set(problems.map((p) => p.entry));
  let extraProblems = 0;
  const skipped = emptySkips();
  const kept = new Map<string, ImportEntry>();
  rows.forEach((row, index) => {
    if (reported.has(index)) return;
    const parsed = format.schema.safeParse(row);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      if (problems.length < MAX_PROBLEMS) {
        problems.push({
          entry: index,
          field: issue ? fieldOf(issue) : null,
          message:
            typeof row !== "object" || row === null || Array.isArray(row)
              ? `is ${Array.isArray(row) ? "an array" : row === null ? "null" : `a ${typeof row}`}, expected an object`
              : (issue?.message ?? "is malformed"),
        });
      } else extraProblems++;
      return;
    }
    if (problems.length > 0) return;
    const c = format.convert(parsed.data, ctx);
    if (c.kind === "skip") {
      skipped[c.reason]++;
      return;
    }
    const e: ImportEntry = { index, ...c.entry };
    // Identical rows are one listen; the same end with another length is another listen.
    const dedupe = e.refine ? `${e.play.track_id}|${e.play.ended_at}|${e.play.listened_ms}` : playKey(e.play);
    if (kept.has(dedupe)) skipped.duplicate_row++;
    else kept.set(dedupe, e);
  });
  if (problems.length > 0) throw new ImportFileError(file, problems, extraProblems);
  const entries = [...kept.values()];
  entries.sort(
    (a, b) =>
      cmp(a.play.ended_at, b.play.ended_at) ||
      cmp(a.play.track_id, b.play.track_id) ||
      cmp(a.play.listened_at, b.play.listened_at),
  );
  return { file, format: format.format, total: rows.length, entries, skipped };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function parseCsvFile(file: string, text: string, ctx: ConvertContext): ParsedFile {
  let records: ReturnType<typeof parseCsv>;
  try {
    records = parseCsv(text);
  } catch (err) {
    if (!(err instanceof CsvSyntaxError)) throw err;
    throw new ImportFileError(file, [
      { entry: err.record === 0 ? null : err.record - 1, field: null, message: err.message },
    ]);
  }
  const header = (records[0] ?? []).map((c) => c.text.trim());
  const missing = PLAY_COLUMNS.filter((c) => !header.includes(c));
  if (missing.length > 0) {
    throw new ImportFileError(file, [
      {
        entry: null,
        field: null,
        message: `is not a hoardify CSV export: the header lacks ${missing.join(", ")}; ${EXPECTED}`,
      },
    ]);
  }
  const headerLine = header.join(",");
  const rows: unknown[] = [];
  const problems: ImportProblem[] = [];
  for (const record of records.slice(1)) {
    // Blank lines, and the header repeated where pages were concatenated, are not entries.
    if (record.length === 1 && record[0]?.text === "" && !record[0].quoted) continue;
    if (record.map((c) => c.text.trim()).join(",") === headerLine) continue;
    const index = rows.length;
    if (record.length !== header.length) {
      if (problems.length < MAX_PROBLEMS) {
        problems.push({
          entry: index,
          field: null,
          message: `has ${record.length} cells, the header ${header.length} (truncated or damaged row)`,
        });
      }
      rows.push(null);
      continue;
    }
    const { value, problems: cellProblems } = csvRecordToObject(header, record);
    for (const p of cellProblems) {
      if (problems.length < MAX_PROBLEMS) problems.push({ entry: index, ...p });
    }
    rows.push(value);
  }
  return convertRows(file, hoardifyFormat, rows, ctx, problems);
}

/**
 * Parses and validates one file. Throws ImportFileError (naming the file and the first bad
 * entries) when anything in it is malformed; nothing of such a file may be written.
 */
export function parseImportFile(
  file: string,
  content: string | Uint8Array,
  opts: { nowMs?: number | undefined } = {},
): ParsedFile {
  const ctx: ConvertContext = { nowMs: opts.nowMs ?? Date.now() };
  let text = typeof content === "string" ? content : Buffer.from(content).toString("utf8");
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const start = text.trimStart();
  if (start === "") {
    throw new ImportFileError(file, [{ entry: null, field: null, message: `is empty; ${EXPECTED}` }]);
  }
  if (!start.startsWith("[") && !start.startsWith("{")) {
    const binary = start.startsWith("PK") || [...start.slice(0, 64)].some((c) => c.charCodeAt(0) < 9);
    if (binary) {
      throw new ImportFileError(file, [
        { entry: null, field: null, message: `is not text (a zip or another binary file?); ${EXPECTED}` },
      ]);
    }
    return parseCsvFile(file, text, ctx);
  }
  const value = parseJsonText(file, text);
  let rows: unknown[];
  const page = value as { items?: unknown; next_cursor?: unknown } | null;
  if (Array.isArray(value)) {
    rows = value;
  } else if (
    typeof page === "object" &&
    page !== null &&
    Array.isArray(page.items) &&
    "next_cursor" in page
  ) {
    // One page of GET /export/plays.json, saved as it came.
    return convertRows(file, hoardifyFormat, page.items, ctx);
  } else {
    const what =
      typeof value === "object" && value !== null
        ? describeObject(Object.keys(value))
        : `a JSON ${typeof value}`;
    throw new ImportFileError(file, [
      { entry: null, field: null, message: `is ${what}, not a streaming history; ${EXPECTED}` },
    ]);
  }
  const first = rows[0];
  if (first === undefined) return { file, format: "empty", total: 0, entries: [], skipped: emptySkips() };
  if (typeof first !== "object" || first === null || Array.isArray(first)) {
    throw new ImportFileError(file, [{ entry: 0, field: null, message: `is not an object; ${EXPECTED}` }]);
  }
  const keys = new Set(Object.keys(first));
  const format = FORMATS.find((f) => f.looksLike(keys));
  if (!format) {
    const list = [...keys].slice(0, 6).join(", ");
    throw new ImportFileError(file, [
      {
        entry: 0,
        field: null,
        message: `is not a streaming-history entry (it has ${list || "no keys"}); ${EXPECTED}`,
      },
    ]);
  }
  return convertRows(file, format, rows, ctx);
}

/** Spotify's streaming-history files by name (kept where the dashboard can import it too). */
export { STREAMING_HISTORY_NAME } from "./zip-directory.ts";
