import { mapLimit } from "../concurrency.ts";
import type { Play } from "../domain/entities.ts";
import type { Aggregate, StatsValidity, Store } from "../store/port.ts";
import { ALL_BUCKET, type Dimension, TOTAL_ID } from "./aggregates.ts";
import {
  addClock,
  addSeries,
  type Clock,
  type DailySeries,
  dailySeries,
  type GenreTotals,
  genreTotals,
  type ItemTotals,
  listeningClock,
  mergeDimension,
  mergeTotals,
  type RankBy,
  rank,
  type SlotSource,
  type Streak,
  splitOnGrid,
  streakOfDays,
  type TimelineBucket,
  type TimelinePoint,
  type Totals,
  takeBack,
  timelineOfDays,
} from "./compute.ts";
import { readDaySlots, totalsFingerprint } from "./packs.ts";
import {
  type BucketPlan,
  EPOCH_MS,
  planBuckets,
  type RangeSpec,
  type ResolvedRange,
  resolveRange,
  STATS_RANGES,
  utcDaysTouching,
  type Window,
} from "./plan.ts";
import {
  beforeFingerprint,
  countedOf,
  type DimensionSnapshot,
  daysFrom,
  floorDay,
  genresWithDelta,
  loadSnapshot,
  SNAPSHOT_DIMENSIONS,
  type SnapshotDimension,
  type SnapshotHead,
  saveSnapshot,
  slotsDimension,
  withDelta,
} from "./snapshot.ts";
import { DAY_MS, localDateKey } from "./zones.ts";

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

/** The plays of a plan's edge fragments (added) and of its `minus` pieces (taken back). */
interface Edges {
  plays: Play[];
  minus: Play[];
}

const totalRef = (bucket: string) => ({ bucket, dimension: "TOTAL" as const, id: TOTAL_ID });

/** A named range's numbers up to now, from its snapshot and the plays since (snapshot.ts). */
interface RangeView {
  totals: Totals;
  items: Partial<Record<SnapshotDimension, Map<string, ItemTotals>>>;
  /** Pending: it reads the delta's artists, alongside what the caller reads next. */
  genres?: Promise<Map<string, GenreTotals>>;
  /** In the range's zone: plays per local date and the clock. */
  local?: { days: DailySeries; clock: Clock };
  /** When TRACK was read: what a summary derived from the tracks builds on. */
  basis?: TrackBasis;
}

/**
 * A named range's tracks as its TRACK snapshot gave them: what a summary derived from the
 * tracks (the mood, shared/lyrics/mood.ts) is kept beside, as another dimension of the same
 * snapshot tied to the TRACK build it was computed from. Everything in `tracks` that differs
 * from `snapshot.items` is the plays since the cutoff.
 */
export interface TrackBasis {
  /** The range's snapshot key (saveSnapshot's). */
  key: string;
  /** TRACK before the cutoff, as stored; `head.build` is "" when this read built it (not stored). */
  snapshot: DimensionSnapshot;
  /** The derived dimension asked for (`extra`), as stored, unchecked; null when absent or torn. */
  extra: DimensionSnapshot | null;
}

/** Items with a counted play: a distinct count. */
const played = (m: Map<string, ItemTotals>) => {
  let n = 0;
  for (const t of m.values()) if (t.plays > 0) n++;
  return n;
};

function shapeGenres(totals: Map<string, GenreTotals>, by: RankBy, limit: number): TopGenre[] {
  return rank(totals.values(), by, limit).map((g, i) => ({
    rank: i + 1,
    genre: g.id,
    plays: g.plays,
    listened_ms: g.listened_ms,
    artists: g.artists,
  }));
}

const addTotals = (a: Totals, b: Totals): Totals => ({
  plays: a.plays + b.plays,
  skips: a.skips + b.skips,
  listened_ms: a.listened_ms + b.listened_ms,
});

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
  async function withPlan<T>(
    r: ResolvedRange,
    nowMs: number,
    read: (plan: Plan | null) => Promise<T>,
  ): Promise<T> {
    if (!r.aggregateWindow) return read(null);
    // Nothing is stored after now: a year bucket may reach past the window there.
    const plan = planBuckets(r.aggregateWindow, { until: nowMs + 1 });
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

  /** The plays of the plan's edge fragments and minus pieces (each shorter than a day, or empty). */
  async function fragmentsOf(plan: Plan | null): Promise<Edges> {
    if (!plan) return { plays: [], minus: [] };
    const [plays, minus] = await Promise.all([
      Promise.all(plan.fragments.map(playsIn)),
      Promise.all((plan.minus ?? []).map(playsIn)),
    ]);
    return { plays: plays.flat(), minus: minus.flat() };
  }

  async function totalsOf(plan: Plan | null, fragments: Promise<Edges>): Promise<Totals> {
    if (!plan) return mergeTotals([], []);
    const [rows, edges] = await Promise.all([
      plan.totals ? plan.totals() : store.batchGetAggregates(plan.buckets.map(totalRef)),
      fragments,
    ]);
    return mergeTotals(rows, edges.plays, edges.minus);
  }

  /** One dimension summed over the plan (numbers only: fillDetails names the ranked few). */
  async function itemsOf(
    plan: Plan | null,
    dimension: Exclude<Dimension, "TOTAL" | "DAY">,
    fragments: Promise<Edges>,
  ): Promise<Map<string, ItemTotals>> {
    if (!plan) return new Map();
    const [lists, edges] = await Promise.all([
      mapLimit(plan.buckets, 16, (b) => store.queryAggregates(b, dimension, { numbersOnly: true })),
      fragments,
    ]);
    return takeBack(dimension, mergeDimension(dimension, lists.flat(), edges.plays), edges.minus);
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
    // The names and the artists' own items side by side: both need only the ids.
    const [, found] = await Promise.all([
      fillDetails("ARTIST", rows),
      artistsKnown ? null : store.batchGetArtists(rows.map((r) => r.id)),
    ]);
    const meta = artistsKnown ?? new Map((found ?? []).map((a) => [a.artist_id, a]));
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
    return { genres: shapeGenres(totals, by, limit), meta };
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
    fragments: Promise<Edges>,
  ): Promise<number> {
    if (!plan) return 0;
    // Plays taken back may leave an item at none: its counters say, not its id.
    if (plan.minus) return played(await itemsOf(plan, dimension, fragments));
    const [only] = plan.buckets;
    if (only !== undefined && plan.buckets.length === 1 && plan.fragments.length === 0) {
      return store.countAggregates(only, dimension);
    }
    const [lists, edges] = await Promise.all([
      mapLimit(plan.buckets, 16, (b) => store.queryAggregateIds(b, dimension)),
      fragments,
    ]);
    const ids = new Set<string>();
    for (const list of lists) for (const id of list) ids.add(id);
    for (const id of mergeDimension(dimension, [], edges.plays).keys()) ids.add(id);
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

  /** Named ranges, and custom ones given a `keep` name, have snapshots keyed by name and first instant. */
  function snapshotKey(r: ResolvedRange): { key: string; from: number } | null {
    const name = r.range ?? r.keep;
    if (!name || !r.aggregateWindow) return null;
    return { key: `${name}@${iso(r.aggregateWindow.from)}`, from: r.aggregateWindow.from };
  }

  /**
   * Computes a range's snapshot over [its start, cutoff) from the buckets (all of them closed:
   * nothing live moves them) and stores it when neither the older plays' fingerprint nor the
   * generation moved meanwhile. Returns it either way (this read answers from it).
   */
  async function buildSnapshot(
    r: ResolvedRange,
    at: { key: string; from: number },
    cutoff: number,
    nowMs: number,
  ): Promise<Map<SnapshotDimension, DimensionSnapshot> | null> {
    const days = daysFrom(cutoff, nowMs);
    const v0 = await store.getStatsValidity(days);
    const before = beforeFingerprint(v0, cutoff);
    if (before === null) return null; // no ALL bucket yet: the buckets answer (rebuild-aggregates adds it)
    const plan = planBuckets({ from: at.from, to: Math.max(at.from, cutoff) });
    const fromAll = r.range === "all" ? await allBefore(plan, cutoff, nowMs, v0) : null;
    const fromBuckets = async () => {
      const fragments = fragmentsOf(plan);
      const [totals, ...lists] = await Promise.all([
        totalsOf(plan, fragments),
        ...SNAPSHOT_DIMENSIONS.map((d) => itemsOf(plan, d, fragments)),
      ]);
      return {
        totals,
        items: new Map(SNAPSHOT_DIMENSIONS.map((d, i) => [d, lists[i] as Map<string, ItemTotals>])),
      };
    };
    const { totals, items } = fromAll ?? (await fromBuckets());
    const artists = items.get("ARTIST") as Map<string, ItemTotals>;
    const meta = await store.batchGetArtists([...artists.keys()]);
    const genres = [
      ...genreTotals(artists.values(), new Map(meta.map((a) => [a.artist_id, a.genres]))).values(),
    ];
    const v1 = await store.getStatsValidity(days);
    const steady = beforeFingerprint(v1, cutoff) === before && v1.generation === v0.generation;
    // All-time covers every play before the cutoff: its buckets must add up to ALL's (a hoard
    // recorded before ALL existed, or mid-rebuild, does not; it is read from the years alone).
    const agrees = r.range !== "all" || `${totals.plays}/${totals.skips}/${totals.listened_ms}` === before;
    const out = new Map<SnapshotDimension, DimensionSnapshot>();
    const head: Omit<SnapshotHead, "parts" | "build"> = { cutoff, before, generation: v0.generation, totals };
    for (const [d, m] of items) {
      const h = { ...head, ...(d === "ARTIST" ? { genres } : {}) };
      out.set(d, { head: { ...h, build: "", parts: 0 }, items: countedOf(m) });
    }
    if (steady && agrees) {
      await Promise.all([
        ...[...out].map(([d, snap]) =>
          saveSnapshot(store, at.key, d, { ...head, ...(snap.head.genres ? { genres } : {}) }, snap.items),
        ),
        store.addSnapshotZone(r.tz),
      ]);
    }
    return out;
  }

  /**
   * All-time before the cutoff as the ALL bucket minus the plays since: a third of the items the
   * closed years, months and days hold. Only when the closed buckets' TOTALs add up to ALL's
   * older part (else ALL lags them: a hoard recorded before it) and no listen at all was stored
   * while reading (ALL and the plays since must be one moment); null sends the build to the buckets.
   */
  async function allBefore(plan: Plan, cutoff: number, nowMs: number, v0: StatsValidity) {
    const closed = await store.batchGetAggregates(plan.buckets.map(totalRef));
    if (totalsFingerprint(closed) !== beforeFingerprint(v0, cutoff) || !v0.all) return null;
    const since = await playsIn({ from: cutoff, to: floorDay(nowMs) + 2 * DAY_MS });
    const lists = await Promise.all(
      SNAPSHOT_DIMENSIONS.map((d) => store.queryAggregates(ALL_BUCKET, d, { numbersOnly: true })),
    );
    const v1 = await store.getStatsValidity([]);
    if (!v1.all || totalsFingerprint([v1.all]) !== totalsFingerprint([v0.all])) return null;
    const items = new Map(
      SNAPSHOT_DIMENSIONS.map(
        (d, i) => [d, takeBack(d, mergeDimension(d, lists[i] ?? [], []), since)] as const,
      ),
    );
    return { totals: mergeTotals(closed, []), items };
  }

  /** The local-time snapshot of a range in its zone: the same validity as buildSnapshot's. */
  async function buildSlots(
    r: ResolvedRange,
    at: { key: string },
    cutoff: number,
    nowMs: number,
  ): Promise<DimensionSnapshot | null> {
    if (!r.window) return null;
    const days = daysFrom(cutoff, nowMs);
    const v0 = await store.getStatsValidity(days);
    const before = beforeFingerprint(v0, cutoff);
    if (before === null) return null;
    const src = await loadSlots({ from: r.window.from, to: Math.max(r.window.from, cutoff) });
    const clock = listeningClock(src, r.tz);
    const series = dailySeries(src, r.tz);
    const v1 = await store.getStatsValidity(days);
    const head = { cutoff, before, generation: v0.generation, totals: mergeTotals([], []), clock };
    if (beforeFingerprint(v1, cutoff) === before && v1.generation === v0.generation) {
      await Promise.all([
        saveSnapshot(store, at.key, slotsDimension(r.tz, r.window.from), head, series),
        store.addSnapshotZone(r.tz),
      ]);
    }
    return { head: { ...head, build: "", parts: 0 }, items: series };
  }

  /**
   * The range's numbers from its snapshots plus the plays since their cutoff; null for custom
   * ranges and hoards without an ALL bucket (the buckets answer those). A snapshot is used while
   * its cutoff is today's or yesterday's UTC midnight and it is still valid; otherwise this read
   * builds one (cutoff: today).
   */
  async function viaSnapshot(
    r: ResolvedRange,
    dimensions: readonly SnapshotDimension[],
    nowMs: number,
    opts: { genres?: boolean; local?: boolean; extra?: string } = {},
  ): Promise<RangeView | null> {
    const at = snapshotKey(r);
    if (!at || !r.window) return null;
    const today = floorDay(nowMs);
    const local = opts.local ? slotsDimension(r.tz, r.window.from) : null;
    const [validity, loaded, loadedLocal, recent, extra] = await Promise.all([
      store.getStatsValidity(daysFrom(today - DAY_MS, nowMs)),
      Promise.all(dimensions.map((d) => loadSnapshot(store, at.key, d))),
      local ? loadSnapshot(store, at.key, local) : null,
      playsIn({ from: today, to: nowMs + 1 }),
      opts.extra ? loadSnapshot(store, at.key, opts.extra) : null,
    ]);
    if (!validity.all) return null;
    const fresh = (s: DimensionSnapshot | null): s is DimensionSnapshot =>
      s !== null &&
      s.head.cutoff >= today - DAY_MS &&
      s.head.cutoff <= today &&
      s.head.generation === validity.generation &&
      beforeFingerprint(validity, s.head.cutoff) === s.head.before;
    let snaps = new Map(dimensions.map((d, i) => [d, loaded[i] ?? null]));
    if (![...snaps.values()].every(fresh)) {
      const built = await buildSnapshot(r, at, today, nowMs);
      if (!built) return null;
      snaps = new Map(dimensions.map((d) => [d, built.get(d) ?? null]));
    }
    let slots = loadedLocal;
    if (local && !fresh(slots)) {
      slots = await buildSlots(r, at, today, nowMs);
      if (!slots) return null;
    }
    // Plays since each snapshot's cutoff (yesterday's: one more day of plays).
    const cutoffs = [...snaps.values(), slots].flatMap((s) => (s ? [s.head.cutoff] : []));
    const earliest = Math.min(today, ...cutoffs);
    const older = earliest < today ? await playsIn({ from: earliest, to: today }) : [];
    const since = (cutoff: number) =>
      cutoff < today ? [...older.filter((p) => Date.parse(p.listened_at) >= cutoff), ...recent] : recent;
    const out: RangeView = { totals: mergeTotals([], []), items: {} };
    let first = true;
    for (const [d, snap] of snaps) {
      if (!snap) return null;
      const delta = since(snap.head.cutoff);
      if (first) out.totals = addTotals(snap.head.totals, mergeTotals([], delta));
      first = false;
      out.items[d] = withDelta(d, snap.items, delta);
      if (d === "TRACK") out.basis = { key: at.key, snapshot: snap, extra };
      if (opts.genres && d === "ARTIST") {
        const touched = mergeDimension("ARTIST", [], delta);
        const { genres = [] } = snap.head;
        out.genres = store
          .batchGetArtists([...touched.keys()])
          .then((meta) =>
            genresWithDelta(genres, snap.items, touched, new Map(meta.map((a) => [a.artist_id, a.genres]))),
          );
        // Awaited by the caller; until then a failure must not count as unhandled.
        out.genres.catch(() => undefined);
      }
    }
    if (slots?.head.clock) {
      const src: SlotSource = { days: [], grid: { from: 0, to: 0 }, edgePlays: since(slots.head.cutoff) };
      out.local = {
        days: addSeries(new Map([...slots.items].map(([k, v]) => [k, [...v]])), dailySeries(src, r.tz)),
        clock: addClock(slots.head.clock, listeningClock(src, r.tz)),
      };
    }
    return out;
  }

  /**
   * The hourly job's part: a fresh snapshot (cutoff today) for every named range in every zone
   * asked before, for now and for the hour ahead (a local day starting within it has new
   * rolling ranges), so reads rarely build one themselves.
   */
  async function refreshSnapshots(nowMs: number): Promise<{ zones: number; built: number }> {
    const zones = await store.snapshotZones();
    // Items per range and start (shared by zones whose local day starts together), local
    // halves per zone.
    const built = new Set<string>();
    const seen = new Set<string>();
    let builds = 0;
    for (const tz of zones) {
      for (const at of [nowMs, nowMs + 3_600_000]) {
        for (const range of STATS_RANGES) {
          const r = await resolve({ tz, range }, at);
          const k = snapshotKey(r);
          if (!k || seen.has(`${k.key} ${tz} ${r.window?.from}`)) continue;
          seen.add(`${k.key} ${tz} ${r.window?.from}`);
          const validity = await store.getStatsValidity(daysFrom(floorDay(nowMs) - DAY_MS, nowMs));
          const current = (h: DimensionSnapshot | null) =>
            h !== null &&
            h.head.cutoff === floorDay(nowMs) &&
            h.head.generation === validity.generation &&
            beforeFingerprint(validity, h.head.cutoff) === h.head.before;
          if (!built.has(k.key)) {
            built.add(k.key);
            const heads = await Promise.all(SNAPSHOT_DIMENSIONS.map((d) => loadSnapshot(store, k.key, d)));
            if (!heads.every(current) && (await buildSnapshot(r, k, floorDay(nowMs), nowMs))) builds++;
          }
          if (r.window && !current(await loadSnapshot(store, k.key, slotsDimension(tz, r.window.from)))) {
            if (await buildSlots(r, k, floorDay(nowMs), nowMs)) builds++;
          }
        }
      }
    }
    return { zones: zones.length, built: builds };
  }

  function summaryOf(
    totals: Totals,
    streak: Streak | null,
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
      longest_streak: streak,
      first_listen: first,
    };
  }

  return {
    resolve,
    info,
    refreshSnapshots,

    async top<K extends TopKind>(
      kind: K,
      spec: RangeSpec,
      by: RankBy,
      limit: number,
      nowMs: number,
    ): Promise<{ range: RangeInfo; by: RankBy; items: TopItem[K][] }> {
      const r = await resolve(spec, nowMs);
      const dimension = DIMENSION_OF[kind];
      const rankOf = async (merged: Map<string, ItemTotals>): Promise<TopItem[TopKind][]> => {
        if (kind === "artists") return topArtistsFrom(merged, by, limit);
        const rows = rank(merged.values(), by, limit);
        await fillDetails(dimension, rows);
        return shapeTop(kind, rows);
      };
      const view = await viaSnapshot(r, [dimension], nowMs);
      const items = view
        ? await rankOf(view.items[dimension] as Map<string, ItemTotals>)
        : await withPlan(r, nowMs, async (plan) => rankOf(await itemsOf(plan, dimension, fragmentsOf(plan))));
      return { range: info(r), by, items: items as TopItem[K][] };
    },

    /**
     * Every track's counted plays and listened time over a range, exactly (buckets plus edge
     * plays, or the range's snapshot): what the mood (shared/lyrics/mood.ts) weighs the stored emotion vectors by.
     */
    async trackTotals(spec: RangeSpec, nowMs: number, opts: { extra?: string } = {}) {
      const r = await resolve(spec, nowMs);
      // Named ranges: the snapshot holds every track's counters, so no bucket is read.
      const view = await viaSnapshot(r, ["TRACK"], nowMs, opts);
      const tracks = view
        ? (view.items.TRACK as Map<string, ItemTotals>)
        : await withPlan(r, nowMs, (plan) => itemsOf(plan, "TRACK", fragmentsOf(plan)));
      return { range: info(r), tracks, basis: view?.basis ?? null };
    },

    async topGenres(spec: RangeSpec, by: RankBy, limit: number, nowMs: number) {
      const r = await resolve(spec, nowMs);
      const view = await viaSnapshot(r, ["ARTIST"], nowMs, { genres: true });
      const genres = view?.genres
        ? shapeGenres(await view.genres, by, limit)
        : (
            await withPlan(r, nowMs, async (plan) =>
              genresFrom(await itemsOf(plan, "ARTIST", fragmentsOf(plan)), by, limit),
            )
          ).genres;
      return { range: info(r), by, items: genres };
    },

    async summary(spec: RangeSpec, nowMs: number) {
      const r = await resolve(spec, nowMs);
      const fromBuckets = async (): Promise<[Totals, number, number, Streak | null]> => {
        const [[totals, tracks, artists], slots] = await Promise.all([
          withPlan(r, nowMs, (plan) => {
            const fragments = fragmentsOf(plan);
            return Promise.all([
              totalsOf(plan, fragments),
              distinctCount(plan, "TRACK", fragments),
              distinctCount(plan, "ARTIST", fragments),
            ]);
          }),
          loadSlots(r.window),
        ]);
        return [totals, tracks, artists, streakOfDays(dailySeries(slots, r.tz))];
      };
      const fromSnapshot = async (): Promise<[Totals, number, number, Streak | null] | null> => {
        const view = await viaSnapshot(r, ["TRACK", "ARTIST"], nowMs, { local: true });
        if (!view?.local) return null;
        const { TRACK: tracks, ARTIST: artists } = view.items as Record<
          SnapshotDimension,
          Map<string, ItemTotals>
        >;
        return [view.totals, played(tracks), played(artists), streakOfDays(view.local.days)];
      };
      const [[totals, tracks, artists, streak], first] = await Promise.all([
        fromSnapshot().then((v) => v ?? fromBuckets()),
        firstListen(r),
      ]);
      return { range: info(r), ...summaryOf(totals, streak, { tracks, artists }, first) };
    },

    async clock(spec: RangeSpec, nowMs: number): Promise<{ range: RangeInfo } & Clock> {
      const r = await resolve(spec, nowMs);
      const view = await viaSnapshot(r, [], nowMs, { local: true });
      return { range: info(r), ...(view?.local?.clock ?? listeningClock(await loadSlots(r.window), r.tz)) };
    },

    async timeline(spec: RangeSpec, bucket: TimelineBucket, nowMs: number) {
      const r = await resolve(spec, nowMs);
      const w = r.window;
      let points: TimelinePoint[] = [];
      if (w) {
        const view = await viaSnapshot(r, [], nowMs, { local: true });
        const days = view?.local?.days ?? dailySeries(await loadSlots(w), r.tz);
        points = timelineOfDays(days, bucket, localDateKey(r.tz, w.from), localDateKey(r.tz, w.to - 1));
      }
      return { range: info(r), bucket, points };
    },

    /**
     * Everything the dashboard shows over one range: the artist side (genres, top artists) and
     * the track side (top tracks) run side by side, over one read of each dimension. `tracks`,
     * when given, runs beside them over the same track totals (the dashboard's mood); `extra`
     * names the snapshot dimension it keeps (TrackBasis).
     */
    async overview<T = null>(
      spec: RangeSpec,
      limit: number,
      nowMs: number,
      opts: {
        extra?: string;
        tracks?: (tracks: Map<string, ItemTotals>, basis: TrackBasis | null) => Promise<T>;
      } = {},
    ) {
      const r = await resolve(spec, nowMs);
      const trackSide = async (tracks: Map<string, ItemTotals>, basis: TrackBasis | null = null) => {
        const rows = rank(tracks.values(), "plays", limit);
        const [derived] = await Promise.all([
          opts.tracks ? opts.tracks(tracks, basis) : null,
          fillDetails("TRACK", rows),
        ]);
        return { distinct: played(tracks), top: shapeTop("tracks", rows) as TopTrack[], derived };
      };
      const fromBuckets = async () => {
        const [parts, slots] = await Promise.all([
          withPlan(r, nowMs, async (plan) => {
            const fragments = fragmentsOf(plan);
            const [totals, artistSide, tracks] = await Promise.all([
              totalsOf(plan, fragments),
              itemsOf(plan, "ARTIST", fragments).then(async (artists) => {
                const genres = await genresFrom(artists, "plays", limit);
                const top = await topArtistsFrom(artists, "plays", limit, genres.meta);
                return { distinct: played(artists), genres: genres.genres, top };
              }),
              itemsOf(plan, "TRACK", fragments).then((tracks) => trackSide(tracks)),
            ]);
            return { totals, artistSide, trackSide: tracks };
          }),
          loadSlots(r.window),
        ]);
        return { ...parts, days: dailySeries(slots, r.tz), clock: listeningClock(slots, r.tz) };
      };
      const fromSnapshot = async () => {
        const view = await viaSnapshot(r, ["TRACK", "ARTIST"], nowMs, {
          genres: true,
          local: true,
          ...(opts.extra ? { extra: opts.extra } : {}),
        });
        if (!view?.genres || !view.local) return null;
        const { TRACK: tracks, ARTIST: artists } = view.items as Record<
          SnapshotDimension,
          Map<string, ItemTotals>
        >;
        const [top, trackPart, genres] = await Promise.all([
          topArtistsFrom(artists, "plays", limit),
          trackSide(tracks, view.basis ?? null),
          view.genres,
        ]);
        return {
          totals: view.totals,
          artistSide: { distinct: played(artists), genres: shapeGenres(genres, "plays", limit), top },
          trackSide: trackPart,
          days: view.local.days,
          clock: view.local.clock,
        };
      };
      const [parts, first] = await Promise.all([
        fromSnapshot().then((v) => v ?? fromBuckets()),
        firstListen(r),
      ]);
      const distinct = { tracks: parts.trackSide.distinct, artists: parts.artistSide.distinct };
      return {
        range: info(r),
        summary: summaryOf(parts.totals, streakOfDays(parts.days), distinct, first),
        top_artists: parts.artistSide.top,
        top_tracks: parts.trackSide.top,
        top_genres: parts.artistSide.genres,
        clock: parts.clock,
        /** What `opts.tracks` made of the tracks (null without it). */
        tracks: parts.trackSide.derived as T | null,
      };
    },

    /**
     * Every item of one dimension with its counted plays and listened time over a range (as
     * trackTotals, any dimension): the year in review's new artists (shared/stats/recap.ts).
     */
    async itemTotals(dimension: SnapshotDimension, spec: RangeSpec, nowMs: number) {
      const r = await resolve(spec, nowMs);
      const view = await viaSnapshot(r, [dimension], nowMs);
      const items = view
        ? (view.items[dimension] as Map<string, ItemTotals>)
        : await withPlan(r, nowMs, (plan) => itemsOf(plan, dimension, fragmentsOf(plan)));
      return { range: info(r), items };
    },
  };
}

export type StatsReader = ReturnType<typeof createStatsReader>;
