import type { Config } from "../config.ts";
import type { RankBy } from "../stats/compute.ts";
import { type RangeSpec, STATS_RANGES } from "../stats/plan.ts";
import { createStatsReader, type TrackBasis } from "../stats/reader.ts";
import { type Counted, saveSnapshot } from "../stats/snapshot.ts";
import type { Store } from "../store/port.ts";
import type { LyricsStore, TrackEmotions } from "./store.ts";

/**
 * The listener's mood over a range: the per-track emotion vectors (stored once per track and
 * model by the background analysis) weighted by each track's counted plays or listened time
 * in the range. The weights come from the statistics' own exact track totals (aggregate
 * buckets plus edge plays, shared/stats/reader.ts `trackTotals`), so the mood is exact for any
 * range the statistics support and reads no plays and no lyrics: one read of the range's
 * TRACK rows and one of the vectors of the tracks in it.
 *
 * Why not a MOOD row per aggregate bucket: it would add a write to every play transaction,
 * need folding into every existing bucket row when a vector first lands (racing the plays of
 * that track), and a rewrite of every bucket when the model changes. Reading the vectors of
 * the tracks a range holds costs one BatchGet (for long ranges, the few gzip'd packs of every
 * vector: shared/lyrics/store.ts) and costs the play nothing.
 *
 * Long named ranges (thousands of tracks: unpacking every vector and summing them took most of
 * an all-time dashboard) keep their mood's sums beside their TRACK snapshot
 * (shared/stats/snapshot.ts), tied to that snapshot's build and to the vectors' version: a read
 * adds what the plays since the cutoff changed, tracks whose numbers differ from the snapshot's,
 * with those few tracks' vectors. A new snapshot or any vector written makes the sums stale;
 * the next read computes them again from the packs and stores them.
 */

export interface TrackWeight {
  id: string;
  plays: number;
  listened_ms: number;
}

export interface Mood {
  by: RankBy;
  /** Weighted mean score per label over the tracks with a vector; `share`: of all labels' sum. */
  emotions: { label: string; score: number; share: number }[];
  /** Shares of the range's listened time, by what was known about each track. */
  coverage: {
    /** Had lyrics and a vector from them. */
    lyrics: number;
    /** No lyrics found: a vector from the title (flagged, still in the mood). */
    title: number;
    instrumental: number;
    /** Not analysed yet (or analysed with another model). */
    pending: number;
    tracks: { lyrics: number; title: number; instrumental: number; pending: number };
  };
  listened_ms: number;
  plays: number;
  model: string;
  summary: string;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

/** "neutral" says nothing about a mood: the sentence names the strongest others. */
function sentence(emotions: Mood["emotions"], coverage: Mood["coverage"], plays: number): string {
  if (plays === 0) return "Nothing was played in this period.";
  const named = emotions.filter((e) => e.label !== "neutral").slice(0, 2);
  const analysed = coverage.lyrics + coverage.title;
  if (named.length === 0) {
    return coverage.instrumental > 0.5
      ? `Mostly instrumental (${pct(coverage.instrumental)} of the listening time).`
      : `No mood yet: ${pct(coverage.pending)} of the listening time is still waiting for analysis.`;
  }
  const what = named.map((e) => `${e.label} (${pct(e.share)})`).join(" and ");
  return `Mostly ${what}, from the ${pct(analysed)} of listening time with ${
    coverage.title > 0 ? "lyrics or a title" : "lyrics"
  } analysed.`;
}

type Kind = keyof Mood["coverage"]["tracks"];
const KINDS: readonly Kind[] = ["lyrics", "title", "instrumental", "pending"];
type Pair = [number, number];

/**
 * What a mood is made of, by both weights at once: sums a track can be added to and taken out
 * of, so a stored one takes the plays since it was computed.
 */
export interface MoodSums {
  /** Counted plays and listened ms of the tracks played. */
  total: Pair;
  /** The same of the tracks with a vector: the weights' sums. */
  weight: Pair;
  /** Per kind: tracks and listened ms. */
  kinds: Record<Kind, Pair>;
  /** Per label: Σ plays × score and Σ listened ms × score. */
  labels: Map<string, Pair>;
}

export function emptySums(): MoodSums {
  return {
    total: [0, 0],
    weight: [0, 0],
    kinds: { lyrics: [0, 0], title: [0, 0], instrumental: [0, 0], pending: [0, 0] },
    labels: new Map(),
  };
}

/** Another model's vector says nothing of this one's labels: pending, as an unanalysed track. */
const kindOf = (v: TrackEmotions | undefined, model: string): Kind =>
  !v || (v.source !== "instrumental" && v.model !== model) ? "pending" : v.source;

/**
 * Moves one track's part of the sums from its counters `was` to `now` ([plays, listened ms]):
 * a track is in the mood while it has a counted play.
 */
export function shiftTrack(
  sums: MoodSums,
  v: TrackEmotions | undefined,
  model: string,
  was: Readonly<Pair>,
  now: Readonly<Pair>,
): void {
  const [p0, m0] = was[0] > 0 ? was : [0, 0];
  const [p1, m1] = now[0] > 0 ? now : [0, 0];
  const plays = p1 - p0;
  const ms = m1 - m0;
  const tracks = (now[0] > 0 ? 1 : 0) - (was[0] > 0 ? 1 : 0);
  if (plays === 0 && ms === 0 && tracks === 0) return;
  const kind = kindOf(v, model);
  sums.total[0] += plays;
  sums.total[1] += ms;
  sums.kinds[kind][0] += tracks;
  sums.kinds[kind][1] += ms;
  if (kind !== "lyrics" && kind !== "title") return;
  sums.weight[0] += plays;
  sums.weight[1] += ms;
  for (const s of (v as TrackEmotions).scores) {
    const l = sums.labels.get(s.label) ?? [0, 0];
    l[0] += plays * s.score;
    l[1] += ms * s.score;
    sums.labels.set(s.label, l);
  }
}

/** The mood the sums make, weighted by plays or by listened time. */
export function moodOfSums(sums: MoodSums, by: RankBy, model: string, limit = 28): Mood {
  const at = by === "plays" ? 0 : 1;
  const weightSum = sums.weight[at];
  const means = [...sums.labels].map(([label, sum]) => ({
    label,
    score: weightSum > 0 ? sum[at] / weightSum : 0,
  }));
  const all = means.reduce((a, m) => a + m.score, 0);
  const emotions = means
    .map((m) => ({ ...m, share: all > 0 ? m.score / all : 0 }))
    .sort((a, b) => b.score - a.score || (a.label < b.label ? -1 : 1))
    .slice(0, limit);
  const [plays, total] = sums.total;
  const share = (kind: Kind) => (total > 0 ? sums.kinds[kind][1] / total : 0);
  const coverage = {
    lyrics: share("lyrics"),
    title: share("title"),
    instrumental: share("instrumental"),
    pending: share("pending"),
    tracks: {
      lyrics: sums.kinds.lyrics[0],
      title: sums.kinds.title[0],
      instrumental: sums.kinds.instrumental[0],
      pending: sums.kinds.pending[0],
    },
  };
  return {
    by,
    emotions,
    coverage,
    listened_ms: total,
    plays,
    model,
    summary: sentence(emotions, coverage, plays),
  };
}

/** The mood of weighted tracks: pure, the property test's reference is a brute force over plays. */
export function moodOf(
  tracks: Iterable<TrackWeight>,
  vectors: ReadonlyMap<string, TrackEmotions>,
  by: RankBy,
  model: string,
  limit = 28,
): Mood {
  const sums = emptySums();
  for (const t of tracks) shiftTrack(sums, vectors.get(t.id), model, [0, 0], [t.plays, t.listened_ms]);
  return moodOfSums(sums, by, model, limit);
}

/** The snapshot dimension a range's mood sums are kept under (one per model). */
export const moodDimension = (model: string) => `MOOD@${model}`;

/** Sums as snapshot items: pairs of numbers under names no label takes ("#…"; labels: "L:…"). */
function sumsToItems(sums: MoodSums): Map<string, Counted> {
  const items = new Map<string, Counted>([
    ["#total", [...sums.total]],
    ["#weight", [...sums.weight]],
  ]);
  for (const k of KINDS) items.set(`#${k}`, [...sums.kinds[k]]);
  for (const [label, pair] of sums.labels) items.set(`L:${label}`, [...pair]);
  return items;
}

function sumsOfItems(items: ReadonlyMap<string, Counted>): MoodSums {
  const sums = emptySums();
  const pair = (k: string): Pair => [...(items.get(k) ?? [0, 0])];
  sums.total = pair("#total");
  sums.weight = pair("#weight");
  for (const k of KINDS) sums.kinds[k] = pair(`#${k}`);
  for (const [k, v] of items) if (k.startsWith("L:")) sums.labels.set(k.slice(2), [...v]);
  return sums;
}

type MoodDeps = { store: Store; lyrics: LyricsStore; config: Pick<Config, "HF_MODEL"> };

/**
 * The range's kept sums (before its cutoff), computed again from every vector and stored when
 * missing or stale; `vectors`: those read then (null: the sums were current). Null for ranges
 * that read their vectors' items (short ones, custom ones, packs not complete yet).
 */
async function keptSums(
  deps: MoodDeps,
  basis: TrackBasis | null,
  version: string | null,
  played: number,
): Promise<{ sums: MoodSums; vectors: ReadonlyMap<string, TrackEmotions> | null } | null> {
  const build = basis?.snapshot.head.build ?? "";
  // Short ranges read their few vectors' items: as cheap as the sums' own changes.
  if (!basis || build === "" || version === null || !deps.lyrics.readsPacks(played)) return null;
  const kept = basis.extra?.head.derived;
  if (basis.extra && kept?.from === build && kept.inputs === version) {
    return { sums: sumsOfItems(basis.extra.items), vectors: null };
  }
  const packed = await deps.lyrics.packedVectors();
  if (!packed) return null;
  const model = deps.config.HF_MODEL;
  const sums = emptySums();
  for (const [id, counted] of basis.snapshot.items)
    shiftTrack(sums, packed.vectors.get(id), model, [0, 0], counted);
  const { build: _b, parts: _p, genres: _g, clock: _c, ...head } = basis.snapshot.head;
  await saveSnapshot(
    deps.store,
    basis.key,
    moodDimension(model),
    { ...head, derived: { from: build, inputs: packed.version } },
    sumsToItems(sums),
  );
  return { sums, vectors: packed.vectors };
}

/**
 * The mood of a range's track totals. With a stored TRACK snapshot under them (`basis`) and
 * more tracks than a BatchGet serves, from the kept sums plus the tracks the plays since the
 * cutoff changed (numbers differing from the snapshot's).
 */
export async function moodOfTracks(
  deps: MoodDeps,
  tracks: ReadonlyMap<string, TrackWeight>,
  basis: TrackBasis | null,
  /** The vectors' version read with the snapshot (LyricsStore.vectorsVersion). */
  version: string | null,
  by: RankBy,
  limit?: number,
): Promise<Mood> {
  const model = deps.config.HF_MODEL;
  const played = [...tracks.values()].filter((t) => t.plays > 0);
  const kept = await keptSums(deps, basis, version, played.length);
  if (!kept || !basis) {
    const vectors = await deps.lyrics.emotionsFor(played.map((t) => t.id));
    return moodOf(played, vectors, by, model, limit);
  }
  const changed: [id: string, was: Pair, now: Pair][] = [];
  for (const t of tracks.values()) {
    const was = basis.snapshot.items.get(t.id) ?? [0, 0];
    if (was[0] !== t.plays || was[1] !== t.listened_ms) changed.push([t.id, was, [t.plays, t.listened_ms]]);
  }
  const { sums } = kept;
  const vectors = kept.vectors ?? (await deps.lyrics.emotionsFor(changed.map(([id]) => id)));
  for (const [id, was, now] of changed) shiftTrack(sums, vectors.get(id), model, was, now);
  return moodOfSums(sums, by, model, limit);
}

const readTracks = (deps: MoodDeps, query: RangeSpec, nowMs: number) =>
  Promise.all([
    createStatsReader(deps.store).trackTotals(query, nowMs, { extra: moodDimension(deps.config.HF_MODEL) }),
    deps.lyrics.vectorsVersion(),
  ]);

/** GET /stats/mood: the range's track totals, their vectors, the mood. */
export async function loadMood(
  deps: MoodDeps,
  query: RangeSpec & { by: RankBy; limit?: number },
  nowMs: number,
) {
  const [{ range, tracks, basis }, version] = await readTracks(deps, query, nowMs);
  return { range, ...(await moodOfTracks(deps, tracks, basis, version, query.by, query.limit)) };
}

/**
 * The hourly job's part, after the statistics snapshots' refresh (a new TRACK snapshot leaves
 * the sums kept on the old one stale): the sums of every named range in every zone asked
 * before, so the first long-range mood of the day finds them.
 */
export async function refreshMoodSums(deps: MoodDeps, nowMs: number): Promise<{ computed: number }> {
  let computed = 0;
  const seen = new Set<string>();
  for (const tz of await deps.store.snapshotZones()) {
    for (const range of STATS_RANGES) {
      const [{ tracks, basis }, version] = await readTracks(deps, { tz, range }, nowMs);
      // Zones whose local day starts together share a range's snapshot.
      if (!basis || seen.has(basis.key)) continue;
      seen.add(basis.key);
      let played = 0;
      for (const t of tracks.values()) if (t.plays > 0) played++;
      if ((await keptSums(deps, basis, version, played))?.vectors) computed++;
    }
  }
  return { computed };
}
