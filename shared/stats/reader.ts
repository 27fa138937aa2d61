import { mapLimit } from "../concurrency.ts";
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
  type Totals,
  timeline,
} from "./compute.ts";
import { readDaySlots, totalsFingerprint } from "./packs.ts";
import {
  type BucketPlan,
  EPOCH_MS,
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

/** A bucket plan, with its TOTAL items when checking the plan already fetched them. */
type Plan = BucketPlan & { totals?: () => Promise<Aggregate[]> };

const totalRef = (bucket: string) => ({ bucket, dimension: "TOTAL" as const, id: TOTAL_ID });

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
    const first = needsFirst ? await store.oldestPlay(iso(EPOCH_MS)) : null;
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
   * Runs `read` over the buckets that answer the range's aggregates. All-time reads the ALL
   * bucket, speculatively, while checking that ALL's totals equal the years' (a hoard recorded
   * before ALL existed, or mid-rebuild, fails the check and is read from the year buckets).
   */
  async function withPlan<T>(r: ResolvedRange, read: (plan: Plan | null) => Promise<T>): Promise<T> {
    if (!r.aggregateWindow) return read(null);
    const plan = planBuckets(r.aggregateWindow);
    if (r.range !== "all") return read(plan);
    const check = store.batchGetAggregates([ALL_BUCKET, ...plan.buckets].map(totalRef));
    // Derived only when a statistic asks (an unawaited derived promise would reject unhandled).
    const all = () => check.then((t) => t.filter((x) => x.bucket === ALL_BUCKET));
    const [totals, fromAll] = await Promise.all([
      check,
      read({ buckets: [ALL_BUCKET], fragments: [], totals: all }),
    ]);
    const years = totals.filter((x) => x.bucket !== ALL_BUCKET);
    const allRows = totals.filter((x) => x.bucket === ALL_BUCKET);
    if (allRows.length === 1 && totalsFingerprint(allRows) === totalsFingerprint(years)) return fromAll;
    return read({ ...plan, totals: async () => years });
  }

  /** The plays of the plan's edge fragments (each shorter than a day). */
  async function fragmentsOf(plan: Plan | null): Promise<Play[]> {
    return plan ? (await Promise.all(plan.fragments.map(playsIn))).flat() : [];
  }

  async function totalsOf(plan: Plan | null, fragments: Promise<Play[]>): Promise<Totals> {
    if (!plan) return mergeTotals([], []);
    const [rows, plays] = await Promise.all([
      plan.totals ? plan.totals() : store.batchGetAggregates(plan.buckets.map(totalRef)),
      fragments,
    ]);
    return mergeTotals(rows, plays);
  }

  /** One dimension summed over the plan (numbers only: fillDetails names the ranked few). */
  async function itemsOf(
    plan: Plan | null,
    dimension: Exclude<Dimension, "TOTAL" | "DAY">,
    fragments: Promise<Play[]>,
  ): Promise<Map<string, ItemTotals>> {
    if (!plan) return new Map();
    const [lists, plays] = await Promise.all([
      mapLimit(plan.buckets, 16, (b) => store.queryAggregates(b, dimension, { numbersOnly: true })),
      fragments,
    ]);
    return mergeDimension(dimension, lists.flat(), plays);
  }

  async function loadSlots(w: Window | null): Promise<SlotSource> {
    if (!w) return { days: [], grid: { from: 0, to: 0 }, edgePlays: [] };
    const { grid, edges } = splitOnGrid(w);
    const days = grid.from < grid.to ? utcDaysTouching(grid) : [];
    const [slots, edgePlays] = await Promise.all([
      readDaySlots(store, days),
      Promise.all(edges.map(playsIn)),
    ]);
    return { days: slots, grid, edgePlays: edgePlays.flat() };
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
  /**
   * How many tracks or artists have a counted play in the range: a COUNT of one bucket's items
   * when one bucket answers the whole range (all-time), else the union of the buckets' ids and
   * the edge plays'.
   */
  async function distinctCount(
    plan: Plan | null,
    dimension: "TRACK" | "ARTIST",
    fragments: Promise<Play[]>,
  ): Promise<number> {
    if (!plan) return 0;
    const [only] = plan.buckets;
    if (only !== undefined && plan.buckets.length === 1 && plan.fragments.length === 0) {
      return store.countAggregates(only, dimension);
    }
    const [lists, plays] = await Promise.all([
      mapLimit(plan.buckets, 16, (b) => store.queryAggregateIds(b, dimension)),
      fragments,
    ]);
    const ids = new Set<string>();
    for (const list of lists) for (const id of list) ids.add(id);
    for (const id of mergeDimension(dimension, [], plays).keys()) ids.add(id);
    return ids.size;
  }

  /** The range's first listen (its own Query, so it runs alongside the aggregate reads). */
  async function firstListen(r: ResolvedRange): Promise<Summary["first_listen"]> {
    const first = r.window ? await store.oldestPlay(iso(r.window.from)) : null;
    if (!first || !r.window || Date.parse(first.listened_at) >= r.window.to) return null;
    return {
      listened_at: first.listened_at,
      track_id: first.track_id,
      name: first.name,
      artists: first.artists.map((a) => a.name),
    };
  }

  function summaryOf(
    r: ResolvedRange,
    totals: Totals,
    slots: SlotSource,
    distinct: { tracks: number; artists: number },
    first: Summary["first_listen"],
  ): Summary {
    const listens = totals.plays + totals.skips;
    return {
      plays: totals.plays,
      skips: totals.skips,
      skip_rate: listens === 0 ? 0 : totals.skips / listens,
      listened_ms: totals.listened_ms,
      distinct_tracks: distinct.tracks,
      distinct_artists: distinct.artists,
      longest_streak: longestStreak(slots, r.tz),
      first_listen: first,
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
      const items = await withPlan(r, async (plan): Promise<TopItem[TopKind][]> => {
        const merged = await itemsOf(plan, dimension, fragmentsOf(plan));
        if (kind === "artists") return topArtistsFrom(merged, by, limit);
        const rows = rank(merged.values(), by, limit);
        await fillDetails(dimension, rows);
        return shapeTop(kind, rows);
      });
      return { range: info(r), by, items: items as TopItem[K][] };
    },

    /**
     * Every track's counted plays and listened time over a range, exactly (buckets plus edge
     * plays): what the mood (shared/lyrics/mood.ts) weighs the stored emotion vectors by.
     */
    async trackTotals(spec: RangeSpec, nowMs: number) {
      const r = await resolve(spec, nowMs);
      const tracks = await withPlan(r, (plan) => itemsOf(plan, "TRACK", fragmentsOf(plan)));
      return { range: info(r), tracks };
    },

    async topGenres(spec: RangeSpec, by: RankBy, limit: number, nowMs: number) {
      const r = await resolve(spec, nowMs);
      const { genres } = await withPlan(r, async (plan) =>
        genresFrom(await itemsOf(plan, "ARTIST", fragmentsOf(plan)), by, limit),
      );
      return { range: info(r), by, items: genres };
    },

    async summary(spec: RangeSpec, nowMs: number) {
      const r = await resolve(spec, nowMs);
      const [[totals, tracks, artists], slots, first] = await Promise.all([
        withPlan(r, (plan) => {
          const fragments = fragmentsOf(plan);
          return Promise.all([
            totalsOf(plan, fragments),
            distinctCount(plan, "TRACK", fragments),
            distinctCount(plan, "ARTIST", fragments),
          ]);
        }),
        loadSlots(r.window),
        firstListen(r),
      ]);
      return { range: info(r), ...summaryOf(r, totals, slots, { tracks, artists }, first) };
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

    /**
     * Everything the dashboard shows over one range: the artist side (genres, top artists) and
     * the track side (top tracks) run side by side, over one read of each dimension.
     */
    async overview(spec: RangeSpec, limit: number, nowMs: number) {
      const r = await resolve(spec, nowMs);
      const played = (m: Map<string, ItemTotals>) => [...m.values()].filter((t) => t.plays > 0).length;
      const [parts, slots, first] = await Promise.all([
        withPlan(r, async (plan) => {
          const fragments = fragmentsOf(plan);
          const [totals, artistSide, trackSide] = await Promise.all([
            totalsOf(plan, fragments),
            itemsOf(plan, "ARTIST", fragments).then(async (artists) => {
              const genres = await genresFrom(artists, "plays", limit);
              const top = await topArtistsFrom(artists, "plays", limit, genres.meta);
              return { distinct: played(artists), genres: genres.genres, top };
            }),
            itemsOf(plan, "TRACK", fragments).then(async (tracks) => {
              const rows = rank(tracks.values(), "plays", limit);
              await fillDetails("TRACK", rows);
              return { distinct: played(tracks), top: shapeTop("tracks", rows) as TopTrack[] };
            }),
          ]);
          return { totals, artistSide, trackSide };
        }),
        loadSlots(r.window),
        firstListen(r),
      ]);
      const distinct = { tracks: parts.trackSide.distinct, artists: parts.artistSide.distinct };
      return {
        range: info(r),
        summary: summaryOf(r, parts.totals, slots, distinct, first),
        top_artists: parts.artistSide.top,
        top_tracks: parts.trackSide.top,
        top_genres: parts.artistSide.genres,
        clock: listeningClock(slots, r.tz),
      };
    },
  };
}

export type StatsReader = ReturnType<typeof createStatsReader>;
