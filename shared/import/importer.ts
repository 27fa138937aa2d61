import { createHash, randomUUID } from "node:crypto";
import { DEFAULT_MATCH_TOLERANCE_MS, DEFAULT_MAX_PAUSE_MS, matchRecent } from "../capture/backfill.ts";
import { registerCatalog } from "../capture/record.ts";
import { mapLimit } from "../concurrency.ts";
import type { Play } from "../domain/entities.ts";
import { countsAsPlay, DEFAULT_TRACKER_OPTIONS } from "../domain/tracker.ts";
import type { ImportFormat, ImportSummary, SkipReason } from "../http/schemas.ts";
import { type BatchEntry, type ImportStore, importStoreOf } from "../store/import-batch.ts";
import type { Store, TrackInfo } from "../store/port.ts";
import { IMPORT_CURSOR_PREFIX } from "../store/table.ts";
import {
  emptySkips,
  type ImportEntry,
  type ParsedFile,
  parseImportFile,
  playKey,
  playNameKey,
} from "./parse.ts";

/**
 * Writes what the parser read, through the same matcher as the recently-played backfill
 * (never two records of one real play: README "How capture works"), with the same counters and aggregates as
 * live capture (recordPlayBatch in shared/store/import-batch.ts applies what recordPlay does, merged per chunk).
 *
 * Matching. The listens are taken in end order, in chunks. For each chunk one Query reads every
 * stored listen that could be the same play (ending within the tolerance of an entry, or
 * standing paused up to it), and `matchRecent` pairs them one-to-one, nearest first: first by
 * track id, then what is left by name ("artist\0title"), which pairs the id-less older export
 * with listens captured live, and the Extended export with an earlier import of the older one.
 * A matched entry writes nothing. Listens this file writes itself never stand in for another
 * entry of the file (a skip and a replay of one track a few seconds apart stay two plays).
 *
 * Idempotent: a listen's key is its start and item, both derived from the file alone, so
 * importing again matches (or, at worst, the conditional put refuses) every entry. Resumable: a
 * checkpoint (a cursor named `import:<sha256 of the content>`) names the chunk in flight before
 * it is written and records how far the file got after it, so a rerun skips finished files
 * without parsing them and resumes an interrupted one. Crash-safe: the chunk a crash
 * interrupted is replayed as it was cut, under the same batch id, with the listens its first
 * attempt wrote taken as written (listBatchPlays); every part of the batch (each group of tracks, each
 * group of aggregates, the counts) carries a marker item in its transaction, so the replay
 * applies exactly the parts that were missing.
 *
 * Pipelined: while a chunk writes, the next one's reads run (its Query, and its tracks a hundred
 * per BatchGetItem into the run's session). Only reads: its matching waits for the writes, and
 * then also sees the listens the chunk before recorded (its Query may have missed them), so the
 * checkpoints, markers and outcomes are those of chunks run one after another.
 */

export { IMPORT_CURSOR_PREFIX };

/** A stored listen may have started this long before its end (an item's length; long podcasts). */
const LONGEST_ITEM_MS = 4 * 3_600_000;

/**
 * Listens per chunk. Larger chunks merge more of a batch's counters per item (a month's row of
 * an artist is written once per chunk, not once per play): about 3.7 items written per play at
 * 5,000 against 5.3 at 1,000. A chunk at the bench's rate takes a few seconds, far inside the
 * checkpoint's lease (IMPORT_LEASE_MS), and a crash replays at most one chunk.
 */
export const DEFAULT_CHUNK_SIZE = 5000;

export interface ImportProgress {
  file: string;
  /** Listens processed (matched or written) of `of`. */
  done: number;
  of: number;
  imported: number;
  matched: number;
}

export interface ImportOptions {
  toleranceMs?: number;
  maxPauseMs?: number;
  /** Concurrent catalog registrations. */
  concurrency?: number;
  /** Listens matched per Query and checkpointed together (default DEFAULT_CHUNK_SIZE). */
  chunkSize?: number;
  /** Honour checkpoints: skip finished files, resume interrupted ones (default true). */
  resume?: boolean;
  /** `performance.now()` after which no new chunk starts: the summary says "partial". */
  deadline?: number;
  /** Aborting stops before the next chunk, like a deadline (Ctrl-C in the CLI). */
  signal?: AbortSignal;
  onProgress?: (p: ImportProgress) => void;
  /** Shares the stored-track lookups between the files of one run. */
  session?: ImportSession;
  /** The clock's now (epoch ms): rows ending more than a day later are refused. */
  nowMs?: number;
}

/**
 * What one run knows of the hoard's catalogue, shared by its chunks and files: each track as
 * stored (read once, by batch, or kept as a chunk wrote it) and the artists and albums already
 * registered, so a chunk never reads back what an earlier one wrote.
 */
export interface ImportSession {
  tracks: Map<string, Promise<TrackInfo | null>>;
  catalog: Map<string, Promise<boolean>>;
}

export const newImportSession = (): ImportSession => ({ tracks: new Map(), catalog: new Map() });

export interface Checkpoint {
  v: 1;
  file: string;
  format: ImportFormat;
  entries: number;
  /** Listens (in the parser's order) already processed. */
  done: number;
  /** The chunk being written, [from, to): a rerun replays exactly it (same batch id). */
  pending?: { from: number; to: number };
  imported: number;
  counted: number;
  matched: number;
  finished: boolean;
}

export const contentHash = (content: string | Uint8Array) =>
  createHash("sha256").update(content).digest("hex");

export async function readCheckpoint(store: Store, sha256: string): Promise<Checkpoint | null> {
  const raw = await store.getCursor(`${IMPORT_CURSOR_PREFIX}${sha256}`);
  if (raw === null) return null;
  try {
    const cp = JSON.parse(raw) as Checkpoint;
    return cp.v === 1 ? cp : null;
  } catch {
    return null;
  }
}

/** How long an import holds its file's checkpoint without writing it (each chunk renews it). */
export const IMPORT_LEASE_MS = 120_000;

/** Another import of the same file holds its checkpoint (running, or killed less than a lease ago). */
export class ImportBusyError extends Error {
  override name = "ImportBusyError";
  constructor(file: string) {
    super(
      `${file} is being imported by another run right now (or one was killed less than ` +
        `${IMPORT_LEASE_MS / 1000} s ago); run this again when it has finished`,
    );
  }
}

/**
 * Imports one file's content (parse, validate, match, write). Throws ImportFileError when the
 * file is malformed, before anything is written.
 */
export async function importContent(
  store: Store,
  file: string,
  content: string | Uint8Array,
  opts: ImportOptions = {},
): Promise<ImportSummary> {
  const sha256 = contentHash(content);
  const cp = await readCheckpoint(store, sha256);
  if (cp?.finished && opts.resume !== false) {
    return {
      file,
      format: cp.format,
      sha256,
      status: "already_imported",
      entries: cp.entries,
      imported: 0,
      counted: 0,
      matched: 0,
      skipped: emptySkips(),
      resumed_from: null,
    };
  }
  return importParsed(store, parseImportFile(file, content, { nowMs: opts.nowMs }), sha256, opts, cp);
}

/**
 * Imports an already parsed (so already validated) file. `resume: false` starts over (matching
 * everything again) but still first finishes a chunk a crash left half-written: that one is
 * never skipped. One run at a time per file: the checkpoint is held under a lease.
 */
export async function importParsed(
  store: Store,
  parsed: ParsedFile,
  sha256: string,
  opts: ImportOptions = {},
  checkpoint?: Checkpoint | null,
): Promise<ImportSummary> {
  const cp = checkpoint === undefined ? await readCheckpoint(store, sha256) : checkpoint;
  const resume = opts.resume !== false;
  const batches = importStoreOf(store);
  const chunkSize = Math.max(1, opts.chunkSize ?? DEFAULT_CHUNK_SIZE);
  const session = opts.session ?? newImportSession();
  const entries = parsed.entries;
  const summary: ImportSummary = {
    file: parsed.file,
    format: parsed.format,
    sha256,
    status: "imported",
    entries: parsed.total,
    imported: 0,
    counted: 0,
    matched: 0,
    skipped: { ...parsed.skipped } satisfies Record<SkipReason, number>,
    resumed_from: null,
  };
  let done = 0;
  let pending: Checkpoint["pending"];
  /** Where to go on after the pending chunk: `done`, or 0 when starting over. */
  let afterPending: number | null = null;
  if (cp && !cp.finished && cp.entries === parsed.total && cp.format === parsed.format) {
    if (cp.pending && cp.pending.from === cp.done && cp.pending.to <= entries.length) pending = cp.pending;
    if (resume) {
      done = Math.min(cp.done, entries.length);
      summary.imported = cp.imported;
      summary.counted = cp.counted;
      summary.matched = cp.matched;
      summary.resumed_from = done > 0 ? done : null;
    } else if (pending) {
      done = pending.from;
      afterPending = 0;
    }
  }
  const owner = randomUUID();
  let last: Checkpoint | null = null;
  const write = async (value: Checkpoint, leaseMs: number) => {
    const held = await batches.setLeasedCursor(`${IMPORT_CURSOR_PREFIX}${sha256}`, JSON.stringify(value), {
      owner,
      until: leaseMs > 0 ? Date.now() + leaseMs : 0,
      now: Date.now(),
    });
    if (!held) throw new ImportBusyError(parsed.file);
    last = value;
  };
  const checkpointNow = (finished: boolean, inFlight?: Checkpoint["pending"]) =>
    write(
      {
        v: 1,
        file: parsed.file,
        format: parsed.format,
        entries: parsed.total,
        done,
        ...(inFlight ? { pending: inFlight } : {}),
        imported: summary.imported,
        counted: summary.counted,
        matched: summary.matched,
        finished,
      },
      finished ? 0 : IMPORT_LEASE_MS,
    );
  // Take the file: refused while another run holds it.
  await checkpointNow(false, pending);
  try {
    return await runChunks();
  } finally {
    // Let go of the file (the checkpoint stays as last written, a pending chunk included).
    const held = last as Checkpoint | null;
    if (held && !held.finished) await write(held, 0).catch(() => undefined);
  }

  async function runChunks(): Promise<ImportSummary> {
    const ctx: ChunkContext = {
      store: batches,
      session,
      toleranceMs: opts.toleranceMs ?? DEFAULT_MATCH_TOLERANCE_MS,
      maxPauseMs: opts.maxPauseMs ?? DEFAULT_MAX_PAUSE_MS,
      concurrency: Math.max(1, opts.concurrency ?? 8),
      fileKeys: new Set(entries.map((e) => playKey(e.play))),
      claimed: new Set(),
      lastRecorded: [],
    };
    const report = (inChunk: number) =>
      opts.onProgress?.({
        file: parsed.file,
        done: done + inChunk,
        of: entries.length,
        imported: summary.imported,
        matched: summary.matched,
      });
    const spanAt = (from: number) => ({ from, to: Math.min(from + chunkSize, entries.length) });

    let finished = false;
    /** The next chunk's reads, started while this one writes (reads only: nothing to undo). */
    let ahead: { from: number; reads: Promise<ChunkReads> } | null = null;
    try {
      while (done < entries.length) {
        if (opts.signal?.aborted || (opts.deadline !== undefined && performance.now() > opts.deadline)) {
          // A chunk still in flight from a crash stays named, to be replayed as it was cut.
          await checkpointNow(false, pending);
          summary.status = "partial";
          return summary;
        }
        const span = pending ?? spanAt(done);
        const chunk = entries.slice(span.from, span.to);
        await checkpointNow(false, span);
        const batchId = `${sha256.slice(0, 16)}:${span.from}-${span.to}`;
        const replay = pending !== undefined;
        const reads =
          !replay && ahead?.from === span.from ? ahead.reads : readChunk(ctx, chunk, batchId, replay);
        ahead = null;
        let processed = 0;
        const plan = await planChunk(ctx, chunk, await reads, (result, play) => {
          if (result === "recorded") {
            summary.imported++;
            if (play.counted) summary.counted++;
          } else summary.matched++;
          report(++processed);
        });
        pending = undefined;
        ctx.lastRecorded = [];
        const next = afterPending ?? span.to;
        if (next < entries.length) {
          const nextSpan = spanAt(next);
          ahead = {
            from: next,
            reads: readChunk(ctx, entries.slice(nextSpan.from, nextSpan.to), "", false),
          };
          // Awaited when its chunk runs, or in `finally`: never an unhandled rejection.
          ahead.reads.catch(() => undefined);
        }
        const wrote = plan ? await writePlan(ctx, batchId, plan) : false;
        done = next;
        afterPending = null;
        finished = done >= entries.length;
        await checkpointNow(finished);
        // No checkpoint names the chunk now: its markers have nothing left to guard. (A chunk that
        // wrote nothing made none, and must not remove those of a twin import still writing it.)
        if (wrote) await batches.forgetBatch(batchId);
      }
    } finally {
      // Nothing of this run is left running once it returns or throws.
      await (ahead as { reads: Promise<ChunkReads> } | null)?.reads.catch(() => undefined);
    }
    if (!finished) await checkpointNow(true);
    report(0);
    return summary;
  }
}

// ------------------------------------------------------------------------------ one chunk

interface ChunkContext {
  store: ImportStore;
  session: ImportSession;
  toleranceMs: number;
  maxPauseMs: number;
  concurrency: number;
  /** Keys of every listen in the file: a stored one of them is that entry's, never another's. */
  fileKeys: Set<string>;
  /** Stored listens an earlier chunk already paired with an entry. */
  claimed: Set<string>;
  /**
   * The listens the previous chunk recorded. The next chunk's Query may have run before they
   * were written; one of them can only concern it through its own key (a row of the same listen).
   */
  lastRecorded: Play[];
}

type Outcome = "recorded" | "duplicate" | "matched";
type Settle = (result: Outcome, play: Play) => void;

const ms = (iso: string) => Date.parse(iso);

async function playsBetween(store: Store, from: string, to: string): Promise<Play[]> {
  const out: Play[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listPlays({ from, to, limit: 500, ...(cursor ? { cursor } : {}) });
    out.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return out;
}

/** What a chunk reads before it can match: nothing of it depends on the previous chunk's writes. */
interface ChunkReads {
  /** On a replay, the listens the chunk's first attempt wrote. */
  own: Play[];
  /** The stored listens that could be the same plays (the Query window). */
  stored: Play[];
}

async function readChunk(
  ctx: ChunkContext,
  chunk: readonly ImportEntry[],
  batchId: string,
  replay: boolean,
): Promise<ChunkReads> {
  const first = chunk[0];
  const last = chunk.at(-1);
  if (!first || !last) return { own: [], stored: [] };
  // The tracks are read meanwhile, a hundred per request, into the session.
  const tracks = lookupTracks(
    ctx,
    chunk.map((e) => e.play.track_id),
  );
  const tol = ctx.toleranceMs;
  const longest = chunk.reduce((m, e) => Math.max(m, e.play.listened_ms), LONGEST_ITEM_MS);
  const from = new Date(ms(first.play.ended_at) - tol - longest - ctx.maxPauseMs).toISOString();
  const to = new Date(ms(last.play.ended_at) + tol + 1).toISOString();
  // Replaying a chunk a crash interrupted: the listens its first attempt wrote are this chunk's
  // own, as they were written (the batch completes them), not listens to match against.
  const [own, stored] = await Promise.all([
    replay
      ? ctx.store.listBatchPlays(
          batchId,
          chunk.map((e) => e.play),
        )
      : [],
    playsBetween(ctx.store, from, to),
    tracks,
  ]);
  return { own, stored };
}

/** What a chunk will write: its batch, and the tracks it creates. */
interface ChunkPlan {
  batch: BatchEntry[];
  fresh: Map<string, TrackInfo>;
  settle: Settle;
}

async function planChunk(
  ctx: ChunkContext,
  chunk: readonly ImportEntry[],
  reads: ChunkReads,
  settle: Settle,
): Promise<ChunkPlan | null> {
  const tol = ctx.toleranceMs;
  const chunkKeys = new Set(chunk.map((e) => playKey(e.play)));
  const ownByKey = new Map(reads.own.map((p) => [playKey(p), p]));
  const read = new Set(reads.stored.map(playKey));
  const candidates = [
    ...reads.stored,
    ...ctx.lastRecorded.filter((p) => chunkKeys.has(playKey(p)) && !read.has(playKey(p))),
  ];
  const stored = candidates.filter((p) => {
    const k = playKey(p);
    return !ownByKey.has(k) && !ctx.claimed.has(k) && !(ctx.fileKeys.has(k) && !chunkKeys.has(k));
  });

  const opts = { pauses: { since: null, maxPauseMs: ctx.maxPauseMs } };

  // Pass 1: the same item id.
  const byId = matchRecent(
    chunk
      .filter((e) => !ownByKey.has(playKey(e.play)))
      .map((e) => ({ track_id: e.play.track_id, played_at: e.play.ended_at, e })),
    stored,
    tol,
    opts,
  );
  const taken = new Set<string>();
  const left: ImportEntry[] = [];
  for (const m of byId) {
    if (m.stored) {
      taken.add(playKey(m.stored));
      settle("matched", m.entry.e.play);
    } else left.push(m.entry.e);
  }
  // Pass 2: what is left, by name.
  const named = left.filter((e) => e.name_key !== null);
  const byName = matchRecent(
    named.map((e) => ({ track_id: e.name_key ?? "", played_at: e.play.ended_at, e })),
    stored
      .filter((p) => !taken.has(playKey(p)))
      .flatMap((p) => {
        const key = playNameKey(p);
        return key === null ? [] : [{ ...p, track_id: key, key: playKey(p) }];
      }),
    tol,
    opts,
  );
  const nameMatched = new Set<ImportEntry>();
  for (const m of byName) {
    if (!m.stored) continue;
    taken.add(m.stored.key);
    nameMatched.add(m.entry.e);
    settle("matched", m.entry.e.play);
  }
  for (const k of taken) ctx.claimed.add(k);

  const toWrite = left.filter((e) => !nameMatched.has(e));
  // Each own play once, for the first row with its key (a second such row was a duplicate then).
  const written: { e: ImportEntry; play: Play }[] = [];
  const seen = new Set<string>();
  for (const e of chunk) {
    const key = playKey(e.play);
    const play = ownByKey.get(key);
    if (!play) continue;
    if (seen.has(key)) settle("duplicate", e.play);
    else written.push({ e, play });
    seen.add(key);
  }
  if (toWrite.length === 0 && written.length === 0) return null;
  return planBatch(ctx, toWrite, written, settle);
}

// ------------------------------------------------------------------------------ writes

/**
 * Reads the tracks the session does not know yet, by batch, into the session. A failed read is
 * not kept: the next chunk asks again.
 */
function lookupTracks(ctx: ChunkContext, ids: readonly string[]): Promise<unknown> {
  const missing = [...new Set(ids)].filter((id) => !ctx.session.tracks.has(id));
  if (missing.length === 0) return Promise.resolve();
  const found = ctx.store.getTracks(missing);
  for (const id of missing) {
    const hit = found.then((tracks) => tracks.get(id) ?? null);
    ctx.session.tracks.set(id, hit);
    hit.catch(() => {
      if (ctx.session.tracks.get(id) === hit) ctx.session.tracks.delete(id);
    });
  }
  return found;
}

async function knownTracks(
  ctx: ChunkContext,
  ids: readonly string[],
): Promise<Map<string, TrackInfo | null>> {
  await lookupTracks(ctx, ids);
  const known = new Map<string, TrackInfo | null>();
  for (const id of new Set(ids)) known.set(id, await (ctx.session.tracks.get(id) ?? null));
  return known;
}

/** The play and track as stored: a Spotify export's entry takes what the hoard knows of its item. */
export function finalize(e: ImportEntry, known: TrackInfo | null): { play: Play; track: TrackInfo } {
  if (!known) return { play: e.play, track: e.track };
  const track: TrackInfo = {
    track_id: known.track_id,
    kind: known.kind,
    name: known.name,
    uri: known.uri,
    artists: known.artists,
    album: known.album,
    duration_ms: known.duration_ms > 0 ? known.duration_ms : e.track.duration_ms,
    ...(known.explicit !== undefined ? { explicit: known.explicit } : {}),
  };
  if (!e.refine) return { play: e.play, track };
  const duration = known.duration_ms > 0 ? known.duration_ms : e.play.duration_ms;
  const play: Play = {
    ...e.play,
    kind: known.kind,
    name: known.name,
    artists: known.artists,
    album_id: known.album?.id ?? null,
    duration_ms: duration,
    counted: countsAsPlay(e.play.listened_ms, duration, DEFAULT_TRACKER_OPTIONS),
  };
  return { play, track };
}

async function planBatch(
  ctx: ChunkContext,
  entries: readonly ImportEntry[],
  written: readonly { e: ImportEntry; play: Play }[],
  settle: Settle,
): Promise<ChunkPlan> {
  const known = await knownTracks(
    ctx,
    [...entries, ...written.map((w) => w.e)].map((e) => e.play.track_id),
  );
  // The listens an earlier attempt wrote keep the fields they were written with.
  const batch: BatchEntry[] = written.map(({ e, play }) => ({
    play,
    track: finalize(e, known.get(e.play.track_id) ?? null).track,
    written: true,
  }));
  const keys = new Set(batch.map((b) => playKey(b.play)));
  const fresh = new Map<string, TrackInfo>();
  for (const e of entries) {
    const stored = known.get(e.play.track_id) ?? null;
    const row = finalize(e, stored);
    // Two rows of one item that started at the same instant are one listen.
    const key = playKey(row.play);
    if (keys.has(key)) {
      settle("duplicate", row.play);
      continue;
    }
    keys.add(key);
    batch.push(row);
    if (!stored) fresh.set(row.track.track_id, row.track);
  }
  return { batch, fresh, settle };
}

/**
 * Registers an artist or album once per run (the session remembers it): a track new to the
 * hoard shares its artists with many others, and each repeated conditional put would fail.
 */
function catalogOnce(ctx: ChunkContext): Store {
  const once = (key: string, put: () => Promise<boolean>) => {
    let hit = ctx.session.catalog.get(key);
    if (!hit) {
      hit = put();
      ctx.session.catalog.set(key, hit);
      hit.catch(() => ctx.session.catalog.delete(key));
    }
    return hit;
  };
  return {
    ...ctx.store,
    putArtistIfAbsent: (a) => once(`artist:${a.artist_id}`, () => ctx.store.putArtistIfAbsent(a)),
    putAlbumIfAbsent: (a) => once(`album:${a.album_id}`, () => ctx.store.putAlbumIfAbsent(a)),
  };
}

async function writePlan(ctx: ChunkContext, batchId: string, plan: ChunkPlan): Promise<boolean> {
  const { batch, fresh, settle } = plan;
  // The tracks this batch creates are what the session knows of them from now on: the next
  // chunk (whose reads may already be running) takes them as written instead of reading them.
  const creating = new Map(
    [...fresh.keys()].map((id) => {
      const d = Promise.withResolvers<TrackInfo | null>();
      d.promise.catch(() => {
        if (ctx.session.tracks.get(id) === d.promise) ctx.session.tracks.delete(id);
      });
      ctx.session.tracks.set(id, d.promise);
      return [id, d] as const;
    }),
  );
  try {
    // A track new to the hoard registers its artists and album for the metadata sync.
    const catalog = catalogOnce(ctx);
    await mapLimit([...fresh.values()], ctx.concurrency, (track) => registerCatalog(catalog, track));
    const result = await ctx.store.recordPlayBatch(batchId, batch);
    ctx.lastRecorded = result.recorded;
    // recordPlayBatch writes each track as its first recorded entry gives it.
    const refused = new Set(result.duplicates);
    const asWritten = new Map<string, TrackInfo>();
    for (const b of batch) {
      if (!refused.has(b.play) && !asWritten.has(b.track.track_id)) asWritten.set(b.track.track_id, b.track);
    }
    for (const [id, d] of creating) {
      // When every play of it turned out to be someone else's: as the hoard now holds it.
      d.resolve(asWritten.get(id) ?? ctx.store.getTrack(id));
    }
    for (const play of result.recorded) settle("recorded", play);
    for (const play of result.duplicates) settle("duplicate", play);
    return true;
  } catch (err) {
    for (const d of creating.values()) d.reject(err);
    throw err;
  }
}
