import type { Play } from "../domain/entities.ts";
import type { Aggregate, Store } from "../store/port.ts";
import { ALL_BUCKET, type Dimension, TOTAL_ID } from "./aggregates.ts";
import {
  type Clock,
  genreTotals,
  type ItemTotals,
  listeningClock,
  longestStreak,
  mergeDimension,
  mergeTotals,
  type RankBy,
  rank,
  type SlotSource,
  type Streak,
  splitOnGrid,
  type TimelineBucket,
  type TimelinePoint,
  timeline,
} from "./compute.ts";
import {
  type BucketPlan,
  planBuckets,
  type RangeSpec,
  type ResolvedRange,
  resolveRange,
  utcDaysTouching,
  type Window,
} from "./plan.ts";
import { localDateKey } from "./zones.ts";

/**
 * The I/O half of the statistics: reads bucket items, quarter-hour counters and edge plays
 * through the store's named access patterns, and hands them to the pure functions in
 * compute.ts. Costs: O(distinct items × buckets) for top lists and distinct counts,
 * O(UTC days) for clock, timeline and streak, plus at most a day of plays at the edges.
 */

export interface RangeInfo {
  range: ResolvedRange["range"];
  tz: string;
  /** First instant of the period (inclusive); null when nothing was played yet. */
  from: string | null;
  /** End of the period (exclusive). */
  to: string | null;
}

export interface TopTrack {
  rank: number;
  track_id: string;
  name: string | null;
  artists: string[];
  image_url: string | null;
  plays: number;
  listened_ms: number;
}
export interface TopArtist {
  rank: number;
  artist_id: string;
  name: string | null;
  image_url: string | null;
  genres: string[] | null;
  plays: number;
  listened_ms: number;
}
export interface TopAlbum {
  rank: number;
  album_id: string;
  name: string | null;
  image_url: string | null;
  plays: number;
  listened_ms: number;
}
export interface TopGenre {
  rank: number;
  genre: string;
  plays: number;
  listened_ms: number;
  artists: number;
}

export interface Summary {
  plays: number;
  skips: number;
  /** skips / (plays + skips); 0 when nothing was listened to. */
  skip_rate: number;
  listened_ms: number;
  distinct_tracks: number;
  distinct_artists: number;
  longest_streak: Streak | null;
  first_listen: { listened_at: string; track_id: string; name: string; artists: string[] } | null;
}

export type TopKind = "tracks" | "artists" | "albums";
export interface TopItem {
  tracks: TopTrack;
  artists: TopArtist;
  albums: TopAlbum;
}
const DIMENSION_OF: Record<TopKind, Exclude<Dimension, "TOTAL" | "DAY">> = {
  tracks: "TRACK",
  artists: "ARTIST",
  albums: "ALBUM",
};

const iso = (ms: number) => new Date(ms).toISOString();

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** What one window's aggregate reads produced, for any number of statistics. */
export interface AggregateData {
  totals: Aggregate[];
  items: Aggregate[];
  fragmentPlays: Play[];
}

export function createStatsReader(store: Store) {
  /** Plays in [from, to), every page (bounded by a day: fragments and edges are shorter). */
  async function playsIn(w: Window): Promise<Play[]> {
    const out: Play[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.listPlays({ from: iso(w.from), to: iso(w.to), limit: 1000, cursor });
      out.push(...page.items);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return out;
  }

  async function resolve(spec: RangeSpec, nowMs: number): Promise<ResolvedRange> {
    const needsFirst = spec.range === "all" || (spec.range === undefined && spec.from === undefined);
    const first = needsFirst ? await store.oldestPlay() : null;
    return resolveRange(spec, nowMs, first ? Date.parse(first.listened_at) : null);
  }

  function info(r: ResolvedRange): RangeInfo {
    return {
      range: r.range,
      tz: r.tz,
      from: r.window ? iso(r.window.from) : null,
      to: r.window ? iso(r.window.to) : null,
    };
  }

  /**
   * The buckets that answer the range's aggregates. All-time reads the ALL bucket alone when its
   * totals equal the years' (a hoard recorded before ALL existed, or mid-rebuild, falls back to
   * the year buckets).
   */
  async function planFor(r: ResolvedRange): Promise<BucketPlan | null> {
    if (!r.aggregateWindow) return null;
    const plan = planBuckets(r.aggregateWindow);
    if (r.range !== "all") return plan;
    const totals = await store.batchGetAggregates(
      [ALL_BUCKET, ...plan.buckets].map((bucket) => ({ bucket, dimension: "TOTAL", id: TOTAL_ID })),
    );
    const sum = (rows: Aggregate[]) => {
      const t = mergeTotals(rows, []);
      return `${t.plays}/${t.skips}/${t.listened_ms}`;
    };
    const all = totals.filter((t) => t.bucket === ALL_BUCKET);
    const years = totals.filter((t) => t.bucket !== ALL_BUCKET);
    return all.length === 1 && sum(all) === sum(years) ? { buckets: [ALL_BUCKET], fragments: [] } : plan;
  }

  async function loadAggregates(plan: BucketPlan | null, dims: readonly Dimension[]): Promise<AggregateData> {
    if (!plan) return { totals: [], items: [], fragmentPlays: [] };
    const listed = dims.filter((d) => d !== "TOTAL");
    const [totals, items, fragmentPlays] = await Promise.all([
      dims.includes("TOTAL")
        ? store.batchGetAggregates(
            plan.buckets.map((bucket) => ({ bucket, dimension: "TOTAL", id: TOTAL_ID })),
          )
        : Promise.resolve([]),
      mapLimit(
        plan.buckets.flatMap((b) => listed.map((d) => [b, d] as const)),
        16,
        ([b, d]) => store.queryAggregates(b, d),
      ),
      Promise.all(plan.fragments.map(playsIn)),
    ]);
    return { totals, items: items.flat(), fragmentPlays: fragmentPlays.flat() };
  }

  async function loadSlots(w: Window | null): Promise<SlotSource> {
    if (!w) return { days: [], grid: { from: 0, to: 0 }, edgePlays: [] };
    const { grid, edges } = splitOnGrid(w);
    const days = grid.from < grid.to ? utcDaysTouching(grid) : [];
    // One Query per UTC year over the DAY rows between the first and the last day.
    const byYear = new Map<string, [string, string]>();
    for (const d of days) {
      const y = d.slice(0, 4);
      const span = byYear.get(y);
      byYear.set(y, span ? [span[0], d] : [d, d]);
    }
    const [rows, edgePlays] = await Promise.all([
      Promise.all([...byYear].map(([y, [a, b]]) => store.queryDays(y, a, b))),
      Promise.all(edges.map(playsIn)),
    ]);
    return {
      days: rows.flat().map((r) => ({ day: r.id, slots: r.slots ?? {} })),
      grid,
      edgePlays: edgePlays.flat(),
    };
  }

  /** Display fields for rows only edge plays named (a play has no album name or art). */
  async function fillDetails(
    dimension: Exclude<Dimension, "TOTAL" | "DAY">,
    rows: ItemTotals[],
  ): Promise<void> {
    const missing = rows.filter((r) => r.detailsBucket !== null);
    if (missing.length === 0) return;
    const found = await store.batchGetAggregates(
      missing.map((r) => ({ bucket: r.detailsBucket as string, dimension, id: r.id })),
    );
    const byId = new Map(found.map((a) => [a.id, a]));
    for (const r of missing) {
      const a = byId.get(r.id);
      if (!a) continue;
      r.name = a.name ?? r.name;
      r.artists = a.artists ?? r.artists;
      r.image_url = a.image_url ?? null;
    }
  }

  function shapeTop(kind: TopKind, rows: ItemTotals[]): TopTrack[] | TopAlbum[] {
    if (kind === "tracks") {
      return rows.map((r, i) => ({
        rank: i + 1,
        track_id: r.id,
        name: r.name,
        artists: r.artists,
        image_url: r.image_url,
        plays: r.plays,
        listened_ms: r.listened_ms,
      }));
    }
    return rows.map((r, i) => ({
      rank: i + 1,
      album_id: r.id,
      name: r.name,
      image_url: r.image_url,
      plays: r.plays,
      listened_ms: r.listened_ms,
    }));
  }

  async function topArtistsFrom(
    merged: Map<string, ItemTotals>,
    by: RankBy,
    limit: number,
    artistsKnown?: Map<string, { image_url: string | null; genres: string[] | null }>,
  ): Promise<TopArtist[]> {
    const rows = rank(merged.values(), by, limit);
    await fillDetails("ARTIST", rows);
    const meta =
      artistsKnown ??
      new Map((await store.batchGetArtists(rows.map((r) => r.id))).map((a) => [a.artist_id, a]));
    return rows.map((r, i) => ({
      rank: i + 1,
      artist_id: r.id,
      name: r.name,
      image_url: meta.get(r.id)?.image_url ?? null,
      genres: meta.get(r.id)?.genres ?? null,
      plays: r.plays,
      listened_ms: r.listened_ms,
    }));
  }

  async function genresFrom(merged: Map<string, ItemTotals>, by: RankBy, limit: number) {
    const artists = await store.batchGetArtists([...merged.keys()]);
    const meta = new Map(artists.map((a) => [a.artist_id, a]));
    const totals = genreTotals(merged.values(), new Map(artists.map((a) => [a.artist_id, a.genres])));
    const genres: TopGenre[] = rank(totals.values(), by, limit).map((g, i) => ({
      rank: i + 1,
      genre: g.id,
      plays: g.plays,
      listened_ms: g.listened_ms,
      artists: g.artists,
    }));
    return { genres, meta };
  }

  /** Ids with a counted play in the window's whole buckets (edge plays are added by the caller). */
  async function bucketIds(plan: BucketPlan | null, dimension: "TRACK" | "ARTIST"): Promise<Set<string>> {
    const ids = new Set<string>();
    if (!plan) return ids;
    const lists = await mapLimit(plan.buckets, 16, (b) => store.queryAggregateIds(b, dimension));
    for (const list of lists) for (const id of list) ids.add(id);
    return ids;
  }

  async function summaryFrom(
    r: ResolvedRange,
    data: AggregateData,
    slots: SlotSource,
    distinct: { tracks: number; artists: number },
  ): Promise<Summary> {
    const totals = mergeTotals(data.totals, data.fragmentPlays);
    const first = r.window ? await store.oldestPlay(iso(r.window.from)) : null;
    const inRange = first && r.window && Date.parse(first.listened_at) < r.window.to ? first : null;
    const listens = totals.plays + totals.skips;
    return {
      plays: totals.plays,
      skips: totals.skips,
      skip_rate: listens === 0 ? 0 : totals.skips / listens,
      listened_ms: totals.listened_ms,
      distinct_tracks: distinct.tracks,
      distinct_artists: distinct.artists,
      longest_streak: longestStreak(slots, r.tz),
      first_listen: inRange
        ? {
            listened_at: inRange.listened_at,
            track_id: inRange.track_id,
            name: inRange.name,
            artists: inRange.artists.map((a) => a.name),
          }
        : null,
    };
  }

  return {
    resolve,
    info,

    async top<K extends TopKind>(
      kind: K,
      spec: RangeSpec,
      by: RankBy,
      limit: number,
      nowMs: number,
    ): Promise<{ range: RangeInfo; by: RankBy; items: TopItem[K][] }> {
      const r = await resolve(spec, nowMs);
      const dimension = DIMENSION_OF[kind];
      const data = await loadAggregates(await planFor(r), [dimension]);
      const merged = mergeDimension(dimension, data.items, data.fragmentPlays);
      let items: TopItem[TopKind][];
      if (kind === "artists") items = await topArtistsFrom(merged, by, limit);
      else {
        const rows = rank(merged.values(), by, limit);
        await fillDetails(dimension, rows);
        items = shapeTop(kind, rows);
      }
      return { range: info(r), by, items: items as TopItem[K][] };
    },

    async topGenres(spec: RangeSpec, by: RankBy, limit: number, nowMs: number) {
      const r = await resolve(spec, nowMs);
      const data = await loadAggregates(await planFor(r), ["ARTIST"]);
      const { genres } = await genresFrom(
        mergeDimension("ARTIST", data.items, data.fragmentPlays),
        by,
        limit,
      );
      return { range: info(r), by, items: genres };
    },

    async summary(spec: RangeSpec, nowMs: number) {
      const r = await resolve(spec, nowMs);
      const [plan, slots] = await Promise.all([planFor(r), loadSlots(r.window)]);
      const [data, tracks, artists] = await Promise.all([
        loadAggregates(plan, ["TOTAL"]),
        bucketIds(plan, "TRACK"),
        bucketIds(plan, "ARTIST"),
      ]);
      for (const id of mergeDimension("TRACK", [], data.fragmentPlays).keys()) tracks.add(id);
      for (const id of mergeDimension("ARTIST", [], data.fragmentPlays).keys()) artists.add(id);
      return {
        range: info(r),
        ...(await summaryFrom(r, data, slots, { tracks: tracks.size, artists: artists.size })),
      };
    },

    async clock(spec: RangeSpec, nowMs: number): Promise<{ range: RangeInfo } & Clock> {
      const r = await resolve(spec, nowMs);
      return { range: info(r), ...listeningClock(await loadSlots(r.window), r.tz) };
    },

    async timeline(spec: RangeSpec, bucket: TimelineBucket, nowMs: number) {
      const r = await resolve(spec, nowMs);
      const w = r.window;
      const points: TimelinePoint[] = w
        ? timeline(await loadSlots(w), r.tz, bucket, localDateKey(r.tz, w.from), localDateKey(r.tz, w.to - 1))
        : [];
      return { range: info(r), bucket, points };
    },

    /** Everything the dashboard shows over one range, sharing the reads between the parts. */
    async overview(spec: RangeSpec, limit: number, nowMs: number) {
      const r = await resolve(spec, nowMs);
      const [data, slots] = await Promise.all([
        planFor(r).then((plan) => loadAggregates(plan, ["TOTAL", "TRACK", "ARTIST"])),
        loadSlots(r.window),
      ]);
      const artists = mergeDimension("ARTIST", data.items, data.fragmentPlays);
      const allTracks = mergeDimension("TRACK", data.items, data.fragmentPlays);
      const tracks = rank(allTracks.values(), "plays", limit);
      const played = (m: Map<string, ItemTotals>) => [...m.values()].filter((t) => t.plays > 0).length;
      const distinct = { tracks: played(allTracks), artists: played(artists) };
      const [summary, genres] = await Promise.all([
        summaryFrom(r, data, slots, distinct),
        genresFrom(artists, "plays", limit),
        fillDetails("TRACK", tracks),
      ]);
      return {
        range: info(r),
        summary,
        top_artists: await topArtistsFrom(artists, "plays", limit, genres.meta),
        top_tracks: shapeTop("tracks", tracks) as TopTrack[],
        top_genres: genres.genres,
        clock: listeningClock(slots, r.tz),
      };
    },
  };
}

export type StatsReader = ReturnType<typeof createStatsReader>;
