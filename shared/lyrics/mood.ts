import type { Config } from "../config.ts";
import type { RankBy } from "../stats/compute.ts";
import type { RangeSpec } from "../stats/plan.ts";
import { createStatsReader } from "../stats/reader.ts";
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

/** The mood of weighted tracks: pure, the property test's reference is a brute force over plays. */
export function moodOf(
  tracks: Iterable<TrackWeight>,
  vectors: ReadonlyMap<string, TrackEmotions>,
  by: RankBy,
  model: string,
  limit = 28,
): Mood {
  const sums = new Map<string, number>();
  let weightSum = 0;
  let plays = 0;
  let total = 0;
  const ms = { lyrics: 0, title: 0, instrumental: 0, pending: 0 };
  const count = { lyrics: 0, title: 0, instrumental: 0, pending: 0 };
  for (const t of tracks) {
    if (t.plays === 0) continue;
    plays += t.plays;
    total += t.listened_ms;
    const v = vectors.get(t.id);
    const kind: keyof typeof ms =
      !v || (v.source !== "instrumental" && v.model !== model) ? "pending" : v.source;
    ms[kind] += t.listened_ms;
    count[kind]++;
    if (kind !== "lyrics" && kind !== "title") continue;
    const w = by === "plays" ? t.plays : t.listened_ms;
    weightSum += w;
    for (const s of (v as TrackEmotions).scores) sums.set(s.label, (sums.get(s.label) ?? 0) + w * s.score);
  }
  const means = [...sums].map(([label, sum]) => ({ label, score: weightSum > 0 ? sum / weightSum : 0 }));
  const all = means.reduce((a, m) => a + m.score, 0);
  const emotions = means
    .map((m) => ({ ...m, share: all > 0 ? m.score / all : 0 }))
    .sort((a, b) => b.score - a.score || (a.label < b.label ? -1 : 1))
    .slice(0, limit);
  const share = (x: number) => (total > 0 ? x / total : 0);
  const coverage = {
    lyrics: share(ms.lyrics),
    title: share(ms.title),
    instrumental: share(ms.instrumental),
    pending: share(ms.pending),
    tracks: count,
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

/** GET /stats/mood (and the dashboard's mood): the range's track totals, their vectors, moodOf. */
export async function loadMood(
  deps: { store: Store; lyrics: LyricsStore; config: Pick<Config, "HF_MODEL"> },
  query: RangeSpec & { by: RankBy; limit?: number },
  nowMs: number,
) {
  const { range, tracks } = await createStatsReader(deps.store).trackTotals(query, nowMs);
  const played = [...tracks.values()].filter((t) => t.plays > 0);
  const vectors = await deps.lyrics.emotionsFor(played.map((t) => t.id));
  return { range, ...moodOf(played, vectors, query.by, deps.config.HF_MODEL, query.limit) };
}
