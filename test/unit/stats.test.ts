import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Play } from "#shared/domain/entities.ts";
import { createAggregateFold, playDeltas, quarterOf, slotOf, slotsOf } from "#shared/stats/aggregates.ts";
import {
  bucketStart,
  type DaySlots,
  genreTotals,
  type ItemTotals,
  listeningClock,
  longestStreak,
  mergeDimension,
  mergeTotals,
  NO_GENRE,
  rank,
  splitOnGrid,
  timeline,
} from "#shared/stats/compute.ts";
import { planBuckets, resolveRange, utcDaysTouching, type Window } from "#shared/stats/plan.ts";
import {
  addMonths,
  canonicalTimeZone,
  dayOffsets,
  isTimeZone,
  localDateKey,
  localDayStart,
  offsetAt,
} from "#shared/stats/zones.ts";
import type { Aggregate } from "#shared/store/port.ts";
import { rng } from "#test/support/plays.ts";

const t = (iso: string) => Date.parse(iso);
const w = (from: string, to: string): Window => ({ from: t(from), to: t(to) });

function play(listenedAt: string, over: Partial<Play> = {}): Play {
  return {
    track_id: "t1",
    kind: "track",
    name: "Song",
    artists: [
      { id: "a1", name: "A" },
      { id: "a1", name: "A" },
      { id: null, name: "Nobody" },
      { id: "a2", name: "B" },
    ],
    album_id: "al1",
    listened_at: listenedAt,
    ended_at: listenedAt,
    listened_ms: 100_000,
    duration_ms: 200_000,
    counted: true,
    estimated: false,
    source: "poll",
    device_name: null,
    device_type: null,
    context_type: null,
    context_uri: null,
    shuffle_state: null,
    ...over,
  };
}

/** The instants a bucket ("Y#2025", "M#2025-03", "D#2025-03-01") holds. */
const span = (b: string): Window => {
  const [kind, key] = [b[0], b.slice(2)];
  const from = t(`${kind === "Y" ? `${key}-01-01` : kind === "M" ? `${key}-01` : key}T00:00:00Z`);
  const d = new Date(from);
  const to =
    kind === "Y"
      ? Date.UTC(d.getUTCFullYear() + 1, 0, 1)
      : kind === "M"
        ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)
        : from + 86_400_000;
  return { from, to };
};

describe("planBuckets: the largest whole UTC buckets, then edge fragments", () => {
  test("years, months and days inside, fragments outside", () => {
    const plan = planBuckets(w("2024-11-29T10:00:00Z", "2026-02-03T05:00:00Z"));
    assert.deepEqual(plan.buckets, [
      "D#2024-11-30",
      "M#2024-12",
      "Y#2025",
      "M#2026-01",
      "D#2026-02-01",
      "D#2026-02-02",
    ]);
    assert.deepEqual(plan.fragments, [
      w("2024-11-29T10:00:00Z", "2024-11-30T00:00:00Z"),
      w("2026-02-03T00:00:00Z", "2026-02-03T05:00:00Z"),
    ]);
  });

  test("whole buckets need no fragment; a window inside one day is one fragment; across midnight two", () => {
    assert.deepEqual(planBuckets(w("2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z")), {
      buckets: ["Y#2025"],
      fragments: [],
    });
    assert.deepEqual(planBuckets(w("2025-03-01T00:00:00Z", "2025-03-31T00:00:00Z")).buckets.length, 30);
    assert.deepEqual(planBuckets(w("2025-03-01T01:00:00Z", "2025-03-01T02:00:00Z")), {
      buckets: [],
      fragments: [w("2025-03-01T01:00:00Z", "2025-03-01T02:00:00Z")],
    });
    assert.deepEqual(planBuckets(w("2025-03-01T20:00:00Z", "2025-03-02T02:00:00Z")), {
      buckets: [],
      fragments: [
        w("2025-03-01T20:00:00Z", "2025-03-02T00:00:00Z"),
        w("2025-03-02T00:00:00Z", "2025-03-02T02:00:00Z"),
      ],
    });
    assert.deepEqual(planBuckets(w("2025-03-02T00:00:00Z", "2025-03-01T00:00:00Z")), {
      buckets: [],
      fragments: [],
    });
  });

  test("for random windows the pieces tile the window exactly, fragments shorter than a day", () => {
    const random = rng(3);
    for (let i = 0; i < 500; i++) {
      const from = t("2023-06-01T00:00:00Z") + Math.floor(random() * 900 * 86_400_000);
      const to = from + Math.floor(random() * (random() < 0.3 ? 2 : 700) * 86_400_000);
      const plan = planBuckets({ from, to });
      const pieces = [...plan.buckets.map(span), ...plan.fragments].sort((a, b) => a.from - b.from);
      for (const f of plan.fragments) assert.ok(f.to - f.from < 86_400_000 && f.to > f.from);
      if (to <= from) continue;
      assert.equal(pieces[0]?.from, from);
      assert.equal(pieces.at(-1)?.to, to);
      for (let k = 1; k < pieces.length; k++) assert.equal(pieces[k]?.from, pieces[k - 1]?.to);
      // Largest buckets: no twelve months of one year, no whole month of days.
      const months = plan.buckets.filter((b) => b.startsWith("M#"));
      for (const y of new Set(months.map((m) => m.slice(2, 6)))) {
        assert.ok(months.filter((m) => m.startsWith(`M#${y}`)).length < 12);
      }
    }
  });

  test("a local year is its Y bucket, the hours before it added and the hours after taken back", () => {
    // 2025 in Paris; this year so far in New York (nothing is stored after `until`).
    assert.deepEqual(planBuckets(w("2024-12-31T23:00:00Z", "2025-12-31T23:00:00Z")), {
      buckets: ["Y#2025"],
      fragments: [w("2024-12-31T23:00:00Z", "2025-01-01T00:00:00Z")],
      minus: [w("2025-12-31T23:00:00Z", "2026-01-01T00:00:00Z")],
    });
    const now = t("2026-11-30T12:00:00Z");
    assert.deepEqual(planBuckets(w("2026-01-01T05:00:00Z", "2026-11-30T12:00:00Z"), { until: now }), {
      buckets: ["Y#2026"],
      fragments: [],
      minus: [
        w("2026-01-01T00:00:00Z", "2026-01-01T05:00:00Z"),
        w("2026-11-30T12:00:00Z", "2027-01-01T00:00:00Z"),
      ],
    });
    // Without `until`, the rest of the year is not free: months and days, as before.
    assert.ok(planBuckets(w("2026-01-01T05:00:00Z", "2026-11-30T12:00:00Z")).buckets.length > 20);
  });

  test("for random windows the pieces, less the minus pieces, cover each instant of the window once", () => {
    const random = rng(7);
    const day = 86_400_000;
    let withMinus = 0;
    for (let i = 0; i < 500; i++) {
      // Windows starting and ending near year ends, in any hour.
      const edge = (y: number) => Date.UTC(y, 0, 1) + Math.floor((random() - 0.5) * 3 * day);
      const from =
        random() < 0.5
          ? edge(2024 + Math.floor(random() * 2))
          : t("2024-03-01T00:00:00Z") + Math.floor(random() * 600 * day);
      const to =
        random() < 0.5 ? edge(2025 + Math.floor(random() * 2)) : from + Math.floor(random() * 500 * day);
      const until = random() < 0.5 ? to : undefined;
      const plan = planBuckets({ from, to }, { until });
      const plus = [...plan.buckets.map(span), ...plan.fragments];
      const minus = plan.minus ?? [];
      if (minus.length > 0) withMinus++;
      for (const m of minus)
        assert.ok(m.to > m.from && (m.to - m.from < day || (until !== undefined && m.from >= until)));
      for (const f of plan.fragments) assert.ok(f.to - f.from < day && f.to > f.from);
      const inside = (x: number, p: Window) => p.from <= x && x < p.to;
      const edges = [
        from,
        to,
        ...plus.flatMap((p) => [p.from, p.to]),
        ...minus.flatMap((p) => [p.from, p.to]),
      ];
      // Every piece boundary, and an instant just before it: coverage is constant in between.
      for (const e of edges)
        for (const x of [e - 1, e]) {
          const n = plus.filter((p) => inside(x, p)).length - minus.filter((p) => inside(x, p)).length;
          assert.equal(
            n,
            from <= x && x < to ? 1 : 0,
            `${new Date(x).toISOString()} in ${JSON.stringify(plan)}`,
          );
        }
    }
    assert.ok(withMinus > 50, `${withMinus} plans took plays back`);
  });

  test("utcDaysTouching lists each UTC day with a moment in the window", () => {
    assert.deepEqual(utcDaysTouching(w("2025-12-31T18:30:00Z", "2026-01-02T00:00:00Z")), [
      "2025-12-31",
      "2026-01-01",
    ]);
  });
});

describe("time zones", () => {
  test("names are validated and canonicalised; offsets are refused", () => {
    assert.equal(isTimeZone("Europe/Paris"), true);
    assert.equal(isTimeZone("utc"), true);
    assert.equal(canonicalTimeZone("utc"), "UTC");
    assert.equal(isTimeZone("+05:30"), false);
    assert.equal(isTimeZone("Mars/Olympus_Mons"), false);
    assert.equal(isTimeZone(""), false);
  });

  test("offsets, local dates and local midnights, DST gaps at midnight included", () => {
    assert.equal(offsetAt("Asia/Kolkata", t("2025-06-01T00:00:00Z")), 19_800_000);
    assert.equal(offsetAt("Asia/Kathmandu", t("2025-06-01T00:00:00Z")), 20_700_000);
    assert.equal(localDateKey("Asia/Kolkata", t("2025-12-31T18:30:00Z")), "2026-01-01");
    assert.equal(localDateKey("Asia/Kolkata", t("2025-12-31T18:29:59.999Z")), "2025-12-31");
    assert.equal(localDayStart("Asia/Kolkata", "2026-01-01"), t("2025-12-31T18:30:00Z"));
    assert.equal(localDayStart("America/New_York", "2025-03-09"), t("2025-03-09T05:00:00Z"));
    assert.equal(localDayStart("America/New_York", "2025-03-10"), t("2025-03-10T04:00:00Z"));
    assert.equal(localDayStart("Australia/Adelaide", "2025-10-05"), t("2025-10-04T14:30:00Z"));
    // Chile springs forward at midnight: 7 September 2025 starts at 01:00 local.
    assert.equal(localDayStart("America/Santiago", "2025-09-07"), t("2025-09-07T04:00:00Z"));
    assert.equal(addMonths("2026-08-31", -6), "2026-02-28");
    assert.equal(addMonths("2024-03-31", -1), "2024-02-29");
  });

  test("dayOffsets switches at the transition inside a UTC day", () => {
    const off = dayOffsets("America/New_York", t("2025-03-09T00:00:00Z"));
    assert.equal(off(t("2025-03-09T06:45:00Z")), -5 * 3_600_000);
    assert.equal(off(t("2025-03-09T07:00:00Z")), -4 * 3_600_000);
    assert.equal(dayOffsets("UTC", t("2025-03-09T00:00:00Z"))(t("2025-03-09T12:00:00Z")), 0);
  });
});

describe("resolveRange", () => {
  const now = t("2026-03-15T10:20:00Z");
  test("named ranges count local days back from today, ending now", () => {
    const r = resolveRange({ tz: "Asia/Kolkata", range: "7d" }, now, null);
    assert.deepEqual(r.window, { from: t("2026-03-08T18:30:00Z"), to: now + 1 });
    assert.deepEqual(r.aggregateWindow, r.window);
    const m = resolveRange({ tz: "UTC", range: "6m" }, now, null);
    assert.equal(m.window?.from, t("2025-09-16T00:00:00Z"));
  });

  test("all starts at the first play's local day and reads whole UTC years", () => {
    const r = resolveRange({ tz: "America/New_York", range: "all" }, now, t("2024-05-02T03:00:00Z"));
    assert.deepEqual(r.window, { from: t("2024-05-01T04:00:00Z"), to: now + 1 });
    assert.deepEqual(r.aggregateWindow, w("2024-01-01T00:00:00Z", "2027-01-01T00:00:00Z"));
    assert.equal(resolveRange({ tz: "UTC", range: "all" }, now, null).window, null);
  });

  test("explicit instants pass through; a missing bound is the first play or now", () => {
    const r = resolveRange({ tz: "UTC", from: t("2025-01-01T00:00:00Z") }, now, null);
    assert.deepEqual(r.window, { from: t("2025-01-01T00:00:00Z"), to: now + 1 });
    assert.equal(r.range, null);
    const before = resolveRange({ tz: "UTC", to: t("2025-01-01T00:00:00Z") }, now, t("2025-06-01T00:00:00Z"));
    assert.equal(before.window, null);
    const wide = resolveRange(
      { tz: "UTC", from: t("1990-01-01T00:00:00Z"), to: t("2099-01-01T00:00:00Z") },
      now,
      null,
    );
    assert.deepEqual(wide.window, { from: t("2008-01-01T00:00:00Z"), to: now + 1 });
    // A stray stored play from year 1 (or 9999) does not stretch range=all over centuries.
    for (const stray of [t("0001-01-01T00:00:00Z"), t("9999-12-31T23:59:59Z")]) {
      const all = resolveRange({ tz: "UTC", range: "all" }, now, stray);
      assert.ok(all.window && all.window.from >= t("2008-01-01T00:00:00Z") && all.window.to === now + 1);
      assert.ok(all.aggregateWindow && all.aggregateWindow.from >= t("2008-01-01T00:00:00Z"));
    }
  });
});

describe("aggregate deltas", () => {
  test("a counted play moves TOTAL, its DAY quarter hour, TRACK, ALBUM and each artist once, in D, M, Y and ALL", () => {
    const deltas = playDeltas(play("2025-12-31T23:59:59.999Z"), { name: "Album", image_url: "u" });
    const keys = deltas.map((d) => `${d.bucket} ${d.dimension}#${d.id}`);
    assert.deepEqual(keys.slice(0, 5), [
      "D#2025-12-31 TOTAL#all",
      "M#2025-12 TOTAL#all",
      "Y#2025 TOTAL#all",
      "ALL TOTAL#all",
      "Y#2025 DAY#2025-12-31",
    ]);
    assert.deepEqual(
      keys.filter((k) => k.includes("ARTIST#a1")),
      ["D#2025-12-31 ARTIST#a1", "M#2025-12 ARTIST#a1", "Y#2025 ARTIST#a1", "ALL ARTIST#a1"],
    );
    assert.equal(keys.filter((k) => k.includes("ARTIST")).length, 8);
    assert.equal(keys.filter((k) => k.startsWith("ALL ")).length, 5);
    assert.deepEqual(deltas[0]?.add, { plays: 1, skips: 0, listened_ms: 100_000 });
    assert.deepEqual(deltas.find((d) => d.dimension === "TRACK")?.add, { plays: 1, listened_ms: 100_000 });
    assert.deepEqual(deltas[4]?.add, { plays: 1, skips: 0, listened_ms: 100_000, p2345: 1, ms2345: 100_000 });
    assert.deepEqual(deltas.find((d) => d.dimension === "ALBUM")?.set, { name: "Album", image_url: "u" });
    assert.equal(slotOf("2025-01-01T14:44:59.000Z"), "1430");
    assert.equal(slotOf("2025-01-01T00:00:00.000Z"), "0000");
    assert.deepEqual([quarterOf("0000"), quarterOf("1430"), quarterOf("2345")], [0, 58, 95]);
  });

  test("a skip only counts as a skip on TOTAL and DAY, with no quarter hour", () => {
    const deltas = playDeltas(play("2025-06-01T10:00:00.000Z", { counted: false, listened_ms: 5_000 }), null);
    assert.deepEqual(
      deltas.map((d) => [d.dimension, d.add]),
      [
        ["TOTAL", { plays: 0, skips: 1, listened_ms: 0 }],
        ["TOTAL", { plays: 0, skips: 1, listened_ms: 0 }],
        ["TOTAL", { plays: 0, skips: 1, listened_ms: 0 }],
        ["TOTAL", { plays: 0, skips: 1, listened_ms: 0 }],
        ["DAY", { plays: 0, skips: 1, listened_ms: 0 }],
      ],
    );
  });

  test("the fold sums like ADD and keeps the display fields of the latest play", () => {
    const fold = createAggregateFold();
    fold.add(play("2025-06-02T10:00:00.000Z", { name: "New name" }), null);
    fold.add(play("2025-06-01T10:00:00.000Z", { name: "Old name" }), null);
    const track = fold.items().find((i) => i.pk === "AGG#M#2025-06" && i.sk === "TRACK#t1");
    assert.equal(track?.plays, 2);
    assert.equal(track?.name, "New name");
    const day = fold.items().find((i) => i.pk === "AGG#Y#2025" && i.sk === "DAY#2025-06-02");
    assert.deepEqual(slotsOf(day ?? { pk: "", sk: "" }), [40, 1, 100_000]); // 10:00 is quarter 40
  });
});

describe("merging and ranking", () => {
  const agg = (bucket: string, id: string, plays: number, ms: number, name: string): Aggregate => ({
    bucket,
    dimension: "TRACK",
    id,
    plays,
    skips: 0,
    listened_ms: ms,
    name,
    artists: ["A"],
    image_url: `img-${name}`,
  });

  test("bucket items and edge plays add up; names come from the latest bucket, else the play", () => {
    const merged = mergeDimension(
      "TRACK",
      [
        agg("Y#2024", "t1", 5, 500, "old"),
        agg("D#2025-02-01", "t1", 1, 10, "new"),
        agg("M#2025-01", "t2", 2, 20, "x"),
      ],
      [play("2025-02-02T01:00:00.000Z"), play("2025-02-02T02:00:00.000Z", { track_id: "t3", name: "edge" })],
    );
    assert.deepEqual(
      { ...merged.get("t1") },
      {
        id: "t1",
        plays: 7,
        listened_ms: 100_510,
        name: "new",
        artists: ["A"],
        image_url: "img-new",
        detailsBucket: null,
      },
    );
    assert.equal(merged.get("t3")?.name, "edge");
    assert.equal(merged.get("t3")?.detailsBucket, "D#2025-02-02");
    const totals = mergeTotals(
      [{ bucket: "Y#2024", dimension: "TOTAL", id: "all", plays: 3, skips: 2, listened_ms: 9 }],
      [play("2025-02-02T01:00:00.000Z"), play("2025-02-02T03:00:00.000Z", { counted: false })],
    );
    assert.deepEqual(totals, { plays: 4, skips: 3, listened_ms: 100_009 });
  });

  test("rank: by plays or time, ties by the other then by id, zero plays left out", () => {
    const rows = [
      { id: "b", plays: 2, listened_ms: 10 },
      { id: "a", plays: 2, listened_ms: 10 },
      { id: "c", plays: 2, listened_ms: 50 },
      { id: "d", plays: 1, listened_ms: 99 },
      { id: "z", plays: 0, listened_ms: 0 },
    ];
    assert.deepEqual(
      rank(rows, "plays", 10).map((r) => r.id),
      ["c", "a", "b", "d"],
    );
    assert.deepEqual(
      rank(rows, "time", 2).map((r) => r.id),
      ["d", "c"],
    );
  });

  test("genres: each genre of an artist gets its plays; no genres is a genre of its own", () => {
    const artist = (id: string, plays: number): ItemTotals => ({
      id,
      plays,
      listened_ms: plays * 10,
      name: id,
      artists: [],
      image_url: null,
      detailsBucket: null,
    });
    const totals = genreTotals(
      [artist("x", 3), artist("y", 2), artist("unsynced", 1), artist("none", 4)],
      new Map([
        ["x", ["rock", "pop", "rock"]],
        ["y", ["pop"]],
        ["none", []],
      ]),
    );
    assert.deepEqual(Object.fromEntries([...totals].map(([g, v]) => [g, [v.plays, v.artists]])), {
      rock: [3, 1],
      pop: [5, 2],
      [NO_GENRE]: [5, 2],
    });
  });
});

describe("quarter-hour counters in local time", () => {
  const slot = (hhmm: string, plays: number, ms: number) => [quarterOf(hhmm), plays, ms];
  const days: DaySlots[] = [
    { day: "2025-03-09", slots: [...slot("0645", 1, 10), ...slot("0700", 2, 20)] },
    { day: "2025-03-10", slots: slot("0330", 1, 5) },
  ];
  const src = { days, grid: w("2025-03-01T00:00:00Z", "2025-04-01T00:00:00Z"), edgePlays: [] };

  test("the clock puts slots on either side of a DST switch into the right local hour", () => {
    const clock = listeningClock(src, "America/New_York");
    // 06:45Z = 01:45 EST (Sunday), 07:00Z = 03:00 EDT (Sunday), 03:30Z on the 10th = 23:30 EDT Sunday.
    assert.equal(clock.plays[6]?.[1], 1);
    assert.equal(clock.plays[6]?.[3], 2);
    assert.equal(clock.plays[6]?.[23], 1);
    assert.equal(
      clock.plays.flat().reduce((a, b) => a + b, 0),
      4,
    );
  });

  test("timeline fills empty buckets; weeks start on Monday", () => {
    assert.equal(bucketStart("2025-03-09", "week"), "2025-03-03");
    assert.equal(bucketStart("2025-03-10", "week"), "2025-03-10");
    assert.equal(bucketStart("2025-03-10", "month"), "2025-03-01");
    const points = timeline(src, "UTC", "day", "2025-03-08", "2025-03-11");
    assert.deepEqual(
      points.map((p) => [p.start, p.plays]),
      [
        ["2025-03-08", 0],
        ["2025-03-09", 3],
        ["2025-03-10", 1],
        ["2025-03-11", 0],
      ],
    );
  });

  test("counters outside the grid window are left out; edge plays are added", () => {
    const narrow = { ...src, grid: w("2025-03-09T07:00:00Z", "2025-03-10T00:00:00Z") };
    assert.equal(
      listeningClock(narrow, "UTC")
        .plays.flat()
        .reduce((a, b) => a + b, 0),
      2,
    );
    const withEdge = { ...narrow, edgePlays: [play("2025-03-09T06:59:00.000Z")] };
    assert.equal(listeningClock(withEdge, "UTC").plays[6]?.[6], 1);
  });

  test("splitOnGrid keeps quarter hours for the counters and the rest for the plays", () => {
    assert.deepEqual(splitOnGrid(w("2025-03-09T06:50:00Z", "2025-03-09T08:20:00Z")), {
      grid: w("2025-03-09T07:00:00Z", "2025-03-09T08:15:00Z"),
      edges: [
        w("2025-03-09T06:50:00Z", "2025-03-09T07:00:00Z"),
        w("2025-03-09T08:15:00Z", "2025-03-09T08:20:00Z"),
      ],
    });
    assert.deepEqual(splitOnGrid(w("2025-03-09T06:50:00Z", "2025-03-09T06:55:00Z")).edges, [
      w("2025-03-09T06:50:00Z", "2025-03-09T06:55:00Z"),
    ]);
  });

  test("longest streak: consecutive local days, the earliest longest run", () => {
    const streakDays: DaySlots[] = ["2025-01-01", "2025-01-02", "2025-01-04", "2025-01-05", "2025-01-07"].map(
      (day) => ({
        day,
        slots: slot("1200", 1, 1),
      }),
    );
    const s = { days: streakDays, grid: w("2024-12-01T00:00:00Z", "2025-02-01T00:00:00Z"), edgePlays: [] };
    assert.deepEqual(longestStreak(s, "UTC"), { days: 2, from: "2025-01-01", to: "2025-01-02" });
    // In Kolkata noon UTC is evening: same days. In Pago Pago (−11) 01:00Z falls on the day before.
    const late = streakDays.map((d) => ({ ...d, slots: slot("0100", 1, 1) }));
    assert.deepEqual(longestStreak({ ...s, days: late }, "Pacific/Pago_Pago"), {
      days: 2,
      from: "2024-12-31",
      to: "2025-01-01",
    });
    assert.equal(longestStreak({ ...s, days: [] }, "UTC"), null);
  });
});
