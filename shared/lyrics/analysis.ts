import { cacheKeys } from "../cache/keys.ts";
import type { Cache } from "../cache/port.ts";
import type { Clock } from "../clock.ts";
import type { Config } from "../config.ts";
import type { Track } from "../domain/entities.ts";
import { logger } from "../logger.ts";
import type { Household } from "../store/household.ts";
import type { Store } from "../store/port.ts";
import { createEmotionClient, type EmotionClient, prepareText } from "./emotions.ts";
import { IntegrationError, type IntegrationHttpOptions } from "./faults.ts";
import { createLrclibClient, type FoundLyrics, type LrclibClient } from "./lrclib.ts";
import { type LyricsRecord, type LyricsStore, NOT_FOUND_RETRY_DAYS, type TrackEmotions } from "./store.ts";

/**
 * The background analysis: walks the tracks most played first — every listener's tracks, merged
 * by play count (a track two listeners play comes at the higher of their counts, once: lyrics
 * and vectors are catalog items, shared) — and for each one still missing
 * something fetches its lyrics from LRCLIB (once; a "not found" is asked again after 30 days)
 * and classifies them through Hugging Face (once per model). A track without lyrics gets a
 * vector from its title, flagged `source: "title"`; an instrumental gets no vector and is
 * counted as such. Never in a request: the hourly job and POST /analysis/run call it.
 *
 * A run stops at its track budget (ANALYSIS_TRACKS_PER_RUN) or its deadline, and at the first
 * 429 or model-still-loading: the next run picks up where the walk finds work again. A service
 * that is down skips that track only. Storage errors are thrown.
 */

export const JOB_ANALYSIS = "analysis";
const PAGE = 100;
const DAY_MS = 86_400_000;
/** The background job can afford to wait for a cold model; a request cannot. */
const JOB_MODEL_WAIT_MS = 60_000;
/** The run's lease (shared/cache/keys.ts): one run at a time for the whole household. */
export const ANALYSIS_LEASE_KEY = cacheKeys.analysisLease;
/** How long one run may work: well inside the analysis function's 15-minute Lambda limit. */
export const ANALYSIS_RUN_MS = 10 * 60_000;

export interface AnalysisResult {
  /** Tracks given a look (their stored state read), and those that needed work. */
  examined: number;
  analyzed: number;
  lyrics_found: number;
  instrumental: number;
  lyrics_not_found: number;
  vectors_from_lyrics: number;
  vectors_from_title: number;
  /** A service was down for that track: left for the next run. */
  failed: number;
  /** Why the run ended early: "budget", "deadline", "rate_limited: LRCLIB", …; null: nothing left. */
  stopped: string | null;
  /** Emotion analysis skipped: HF_TOKEN is not set (lyrics are still fetched). */
  emotions_configured: boolean;
}

export interface AnalysisDeps {
  /** Whose tracks to walk: every listener's store (most played first, merged). */
  stores: Pick<Store, "listTracksByCount">[];
  lyrics: LyricsStore;
  lrclib: LrclibClient;
  /** null when HF_TOKEN is unset. */
  emotions: EmotionClient | null;
  clock: Clock;
}

interface Work {
  lyrics: boolean;
  vector: boolean;
}

/** What a track still needs, from what is stored about it. */
export function workFor(
  stored: { lyrics: LyricsRecord | null; emotions: TrackEmotions | null },
  nowMs: number,
  model: string | null,
): Work {
  const l = stored.lyrics;
  const lyrics = l === null || (l.status === "not_found" && Date.parse(l.retry_after) <= nowMs);
  const e = stored.emotions;
  const vector =
    model !== null &&
    (e === null ||
      (e.source !== "instrumental" && e.model !== model) ||
      // A title vector is replaced when the lyrics are asked for again.
      (e.source === "title" && lyrics) ||
      // Lyrics were found since (e.g. by another run that had no model token).
      (e.source === "title" && l?.status === "found") ||
      (e.source !== "instrumental" && l?.status === "instrumental"));
  return { lyrics, vector };
}

/** What LRCLIB's answer becomes in the store (a "not found" is retried after 30 days). */
export function recordOf(found: FoundLyrics | null, nowMs: number): LyricsRecord {
  const fetched_at = new Date(nowMs).toISOString();
  if (!found) {
    return {
      status: "not_found",
      fetched_at,
      retry_after: new Date(nowMs + NOT_FOUND_RETRY_DAYS * DAY_MS).toISOString(),
    };
  }
  if (found.instrumental) return { status: "instrumental", lrclib_id: found.lrclib_id, fetched_at };
  return {
    status: "found",
    plain: found.plain,
    synced: found.synced,
    lrclib_id: found.lrclib_id,
    matched_by: found.matched_by,
    fetched_at,
  };
}

/** The lookup LRCLIB gets for a stored track: all four signature fields when we have them. */
export function lyricsQueryOf(track: Pick<Track, "name" | "artists" | "album" | "duration_ms">) {
  return {
    track: track.name,
    artist: track.artists[0]?.name ?? "",
    album: track.album?.name ?? null,
    durationSeconds: track.duration_ms > 0 ? track.duration_ms / 1000 : null,
  };
}

export async function analyzeTracks(
  deps: AnalysisDeps,
  opts: { budget: number; deadlineMs: number },
): Promise<AnalysisResult> {
  const model = deps.emotions?.model ?? null;
  const result: AnalysisResult = {
    examined: 0,
    analyzed: 0,
    lyrics_found: 0,
    instrumental: 0,
    lyrics_not_found: 0,
    vectors_from_lyrics: 0,
    vectors_from_title: 0,
    failed: 0,
    stopped: null,
    emotions_configured: deps.emotions !== null,
  };
  const now = () => deps.clock().getTime();
  for await (const items of tracksMostPlayedFirst(deps.stores, PAGE)) {
    // Episodes have no lyrics; local files are looked up by their tags like any track.
    const tracks = items.filter((t) => t.kind !== "episode");
    const stored = await deps.lyrics.batchGetAnalysis(tracks.map((t) => t.track_id));
    for (const track of tracks) {
      const entry = stored.get(track.track_id) ?? { lyrics: null, emotions: null };
      result.examined++;
      const work = workFor(entry, now(), model);
      if (!work.lyrics && !work.vector) continue;
      if (result.analyzed >= opts.budget) {
        result.stopped = "budget";
        return result;
      }
      if (now() >= opts.deadlineMs) {
        result.stopped = "deadline";
        return result;
      }
      result.analyzed++;
      try {
        await analyzeOne(deps, track, entry, work, result);
      } catch (err) {
        if (!(err instanceof IntegrationError)) throw err;
        if (err.fault.type === "unavailable") {
          result.failed++;
          continue;
        }
        result.stopped = `${err.fault.type}: ${err.message}`;
        return result;
      }
    }
  }
  return result;
}

/**
 * Every store's tracks by play count, highest first, merged (each store is read a page at a
 * time, as the walk gets there) and each track id once, in pages of `size`.
 */
export async function* tracksMostPlayedFirst(
  stores: Pick<Store, "listTracksByCount">[],
  size: number,
): AsyncGenerator<Track[]> {
  const heads = stores.map((store) => ({
    store,
    buffer: [] as Track[],
    cursor: undefined as string | undefined,
    done: false,
  }));
  const fill = async (h: (typeof heads)[number]) => {
    while (h.buffer.length === 0 && !h.done) {
      const page = await h.store.listTracksByCount(size, h.cursor);
      h.buffer.push(...page.items);
      h.cursor = page.next_cursor ?? undefined;
      h.done = !h.cursor;
    }
  };
  const seen = new Set<string>();
  let out: Track[] = [];
  for (;;) {
    await Promise.all(heads.map(fill));
    let best: (typeof heads)[number] | undefined;
    for (const h of heads) {
      const t = h.buffer[0];
      if (t && (!best || t.listen_count > (best.buffer[0]?.listen_count ?? -1))) best = h;
    }
    const track = best?.buffer.shift();
    if (!track) break;
    if (seen.has(track.track_id)) continue;
    seen.add(track.track_id);
    out.push(track);
    if (out.length >= size) {
      yield out;
      out = [];
    }
  }
  if (out.length > 0) yield out;
}

async function analyzeOne(
  deps: AnalysisDeps,
  track: Track,
  entry: { lyrics: LyricsRecord | null; emotions: TrackEmotions | null },
  work: Work,
  result: AnalysisResult,
): Promise<void> {
  let lyrics = entry.lyrics;
  if (work.lyrics) {
    lyrics = recordOf(await deps.lrclib.find(lyricsQueryOf(track)), deps.clock().getTime());
    await deps.lyrics.putLyrics(track.track_id, lyrics);
    if (lyrics.status === "found") result.lyrics_found++;
    else if (lyrics.status === "instrumental") result.instrumental++;
    else result.lyrics_not_found++;
  }
  const emotions = deps.emotions;
  if (!emotions || lyrics === null) return;
  const analyzed_at = deps.clock().toISOString();
  if (lyrics.status === "instrumental") {
    await deps.lyrics.putEmotions({
      track_id: track.track_id,
      source: "instrumental",
      model: null,
      scores: [],
      analyzed_at,
    });
    return;
  }
  if (!work.vector) return;
  const current = entry.emotions;
  const plain = lyrics.status === "found" ? (lyrics.plain ?? "").trim() : "";
  const fromLyrics = plain !== "";
  // Still no lyrics after the 30-day retry: the title vector of this model stands.
  if (!fromLyrics && current?.source === "title" && current.model === emotions.model) return;
  const text = fromLyrics ? prepareText(plain).text : track.name;
  const scores = await emotions.classify(text, { maxWaitMs: JOB_MODEL_WAIT_MS });
  await deps.lyrics.putEmotions({
    track_id: track.track_id,
    source: fromLyrics ? "lyrics" : "title",
    model: emotions.model,
    scores,
    analyzed_at,
  });
  if (fromLyrics) result.vectors_from_lyrics++;
  else result.vectors_from_title++;
}

export interface AnalysisJobDeps {
  config: Config;
  cache: Cache;
  /** Where the run is recorded (the owner's job runs, as /admin/system-stats shows them). */
  store: Store;
  /** Every listener's tracks are walked. */
  household: Pick<Household, "listListeners" | "storeOf">;
  lyrics: LyricsStore;
  clock: Clock;
}

/** The clients the configuration asks for (HF only with a token). */
export function analysisClients(config: Config, http: IntegrationHttpOptions = {}) {
  return {
    lrclib: createLrclibClient(config, http),
    emotions: config.HF_TOKEN ? createEmotionClient(config, http) : null,
  };
}

export type AnalysisOutcome =
  | { ran: true; ok: boolean; result: AnalysisResult | null; error: string | null }
  | { ran: false; reason: "running" };

/**
 * One recorded run (its result is what /admin/system-stats shows), under a lease so the hourly
 * run and a manual one never work the same tracks twice at once.
 */
export async function runAnalysisJob(
  deps: AnalysisJobDeps,
  trigger: "schedule" | "manual",
  opts: { runForMs: number; http?: IntegrationHttpOptions },
): Promise<AnalysisOutcome> {
  const started = deps.clock();
  const leaseMs = opts.runForMs + 60_000;
  const taken = await deps.cache.setIfAbsent(ANALYSIS_LEASE_KEY, started.toISOString(), { ttlMs: leaseMs });
  if (!taken) return { ran: false, reason: "running" };
  let outcome: AnalysisOutcome;
  try {
    // Vectors stored before the packs existed go into them once (then this is one read).
    await deps.lyrics.packAllEmotions();
    const listeners = await deps.household.listListeners();
    const stores = listeners.map((l) => deps.household.storeOf(l.listener_id));
    const result = await analyzeTracks(
      { ...deps, stores, ...analysisClients(deps.config, opts.http) },
      { budget: deps.config.ANALYSIS_TRACKS_PER_RUN, deadlineMs: started.getTime() + opts.runForMs },
    );
    outcome = { ran: true, ok: true, result, error: null };
  } catch (err) {
    logger.error("analysis failed", err as Error);
    outcome = { ran: true, ok: false, result: null, error: (err as Error).message };
  } finally {
    await deps.cache.del(ANALYSIS_LEASE_KEY).catch(() => undefined);
  }
  try {
    await deps.store.recordJobRun({
      job: JOB_ANALYSIS,
      started_at: started.toISOString(),
      finished_at: deps.clock().toISOString(),
      ok: outcome.ok,
      result: { trigger, ...(outcome.result ?? {}), ...(outcome.error ? { error: outcome.error } : {}) },
    });
  } catch (err) {
    logger.error("could not record the analysis run", err as Error);
  }
  return outcome;
}

/**
 * POST /analysis/run: starts a run in the background and answers at once. On AWS it invokes
 * the analysis function asynchronously (InvocationType Event: Lambda queues it, retries a
 * crash twice, and the function has its own 15-minute limit, unlike a request's 29 s); on one
 * machine the run goes on in this process after the answer. False: a run holds the lease.
 */
let lambda: import("@aws-sdk/client-lambda").LambdaClient | undefined;

export async function startAnalysis(deps: AnalysisJobDeps): Promise<boolean> {
  if ((await deps.cache.get(ANALYSIS_LEASE_KEY)) !== null) return false;
  const fn = deps.config.ANALYSIS_FUNCTION_NAME;
  if (fn) {
    // Loaded only here: the SDK ships with the Lambda runtime (bundles leave @aws-sdk/* out).
    const { LambdaClient, InvokeCommand } = await import("@aws-sdk/client-lambda");
    lambda ??= new LambdaClient({});
    await lambda.send(
      new InvokeCommand({
        FunctionName: fn,
        InvocationType: "Event",
        Payload: JSON.stringify({ trigger: "manual" }),
      }),
    );
    return true;
  }
  void runAnalysisJob(deps, "manual", { runForMs: ANALYSIS_RUN_MS }).catch((err: unknown) =>
    logger.error("analysis run failed", err as Error),
  );
  return true;
}
