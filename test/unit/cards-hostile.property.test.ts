import assert from "node:assert/strict";
import { test } from "node:test";
import type { NowPlayingState, NowPlayingView } from "#shared/cards/model.ts";
import {
  renderNowPlayingCard,
  renderRecentlyPlayedCard,
  renderTopArtistsCard,
  renderWeeklyGridCard,
  renderYearCard,
} from "#shared/cards/svg.ts";
import { STATS_RANGES } from "#shared/stats/plan.ts";
import { seeded } from "#test/support/rng.ts";
import { checkSvg } from "#test/support/svg-check.ts";

/**
 * Throws hostile and odd names at every card: markup and script, entities at the cut point,
 * 500-character titles, emoji sequences, right-to-left text, controls, lone surrogates, empty
 * strings, hostile "art". Every output is parsed as XML and checked by checkSvg. Seeded, so a
 * failing run names the seed to replay (PROPERTY_RUNS=5000 for a longer run).
 */

const FRAGMENTS = [
  "<script>alert(1)</script>",
  "</text><script>alert(1)</script><text>",
  '"><svg onload=alert(1)>',
  "<img src=x onerror=alert(1)>",
  "<foreignObject><iframe src=javascript:alert(1)>",
  "javascript:alert(1)",
  'onclick="alert(1)"',
  "&amp;",
  "&",
  "&#",
  "&#x3C;script&#x3E;",
  "&lt;",
  "]]>",
  "<![CDATA[x]]>",
  "<!-- c -->",
  "<?xml-stylesheet href='x'?>",
  "<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]>&e;",
  "'",
  '"',
  "AC/DC",
  "Beyoncé",
  "Sigur Rós",
  "東京事変",
  "宇多田ヒカル",
  "방탄소년단",
  "שלום עולם",
  "فيروز",
  "‏Mixed עברית and English‎",
  "👨‍👩‍👧‍👦",
  "🇯🇵",
  "1️⃣",
  "🏳️‍🌈",
  "🎧",
  "e\u0301",
  "Z\u0336\u0337\u0338\u0339\u033A\u033B\u033C",
  "\u202Eevil",
  "\u2067isolate",
  "\u200B\u200D\u2060",
  "\u0000\u0001\u0008\u001B\u007F\u0085",
  "\uD800",
  "\uDC00x",
  "\uFFFE\uFFFF",
  "\n\r\t",
  "   ",
  "",
  "%3Cscript%3E",
  "x".repeat(500),
  "Ｗ".repeat(100),
];

function hostile(r: ReturnType<typeof seeded>): string {
  const roll = r.next();
  if (roll < 0.05) return "";
  if (roll < 0.1) {
    // 500 characters of random code points, controls and surrogates included.
    let s = "";
    for (let i = 0; i < 500; i++) s += String.fromCharCode(r.int(0, 0xffff));
    return s;
  }
  let s = "";
  const n = r.int(1, 8);
  for (let i = 0; i < n; i++) s += r.pick(FRAGMENTS);
  return r.next() < 0.2 ? s.repeat(r.int(2, 20)) : s;
}

const PNG =
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
const HOSTILE_ART = [
  PNG,
  null,
  "javascript:alert(1)",
  'data:image/png;base64,AAAA" onload="alert(1)',
  `data:image/svg+xml;base64,${Buffer.from("<svg onload='alert(1)'/>").toString("base64")}`,
  "https://evil.example/x.png",
  "data:text/html,<script>alert(1)</script>",
];
const STATES: NowPlayingState[] = ["playing", "paused", "last_played", "empty"];
const RANGES = STATS_RANGES;

test("every card stays a safe, well-formed SVG whatever the names", () => {
  const runs = Number(process.env.PROPERTY_RUNS ?? 300);
  const now = Date.parse("2026-11-21T12:00:00.000Z");
  for (let seed = 1; seed <= runs; seed++) {
    const r = seeded(seed);
    const theme = r.pick(["light", "dark"] as const);
    const width = r.pick([300, 301, 480, 555, 800, -1, 0, 1e9, Number.NaN]);
    const duration = r.pick([0, 1, 180_000, 3_600_000 * 5]);
    const view: NowPlayingView = {
      state: r.pick(STATES),
      is_playing: r.next() < 0.5,
      kind: r.pick(["track", "episode", "local"] as const),
      title: r.next() < 0.1 ? null : hostile(r),
      artists: Array.from({ length: r.int(0, 4) }, () => hostile(r)),
      album: r.next() < 0.2 ? null : hostile(r),
      album_art: hostile(r),
      album_id: hostile(r),
      url: hostile(r),
      progress_ms: r.pick([null, -5, 0, 90_000, duration, duration * 10]),
      duration_ms: r.pick([null, duration]),
      device_type: r.next() < 0.3 ? null : hostile(r),
      played_at: r.pick([null, "2026-11-21T11:00:00Z", "garbage", hostile(r)]),
      observed_at: null,
    };
    const art = r.pick(HOSTILE_ART);
    const showArt = r.next() < 0.7;
    const cards = [
      renderNowPlayingCard(view, { theme, width, nowMs: now, showProgress: r.next() < 0.7, showArt, art }),
      renderRecentlyPlayedCard(
        Array.from({ length: r.int(0, 10) }, () => ({
          title: hostile(r),
          artists: Array.from({ length: r.int(0, 3) }, () => hostile(r)),
          played_at: r.pick(["2026-11-21T11:59:00Z", "2020-01-01T00:00:00Z", "garbage", ""]),
          art: r.pick(HOSTILE_ART),
        })),
        { theme, width, nowMs: now, showArt },
      ),
      renderTopArtistsCard(
        Array.from({ length: r.int(0, 10) }, () => ({
          name: hostile(r),
          plays: r.pick([0, 1, 7, 1234, 1_000_000_000]),
          art: r.pick(HOSTILE_ART),
        })),
        { theme, width, nowMs: now, showArt, range: r.pick(RANGES) },
      ),
      // The zone is validated before it gets here; hostile anyway, as a name would be.
      renderWeeklyGridCard(
        {
          tz: hostile(r),
          days: Array.from({ length: 7 }, (_, i) => ({
            date: `2026-11-${String(15 + i).padStart(2, "0")}`,
            weekday: (6 + i) % 7,
            listened_ms: Array.from({ length: 24 }, () =>
              r.pick([0, 0, 1, 59_999, 600_000, 3_600_000, 1e14]),
            ),
          })),
        },
        { theme, width, nowMs: now },
      ),
      renderYearCard(
        {
          year: r.pick([2008, 2026, 9998]),
          soFar: r.next() < 0.5,
          listened_ms: r.pick([0, 59_999, 3_600_000, 1e14]),
          plays: r.pick([0, 1, 12_345, 1_000_000_000]),
          new_artists: r.pick([0, 1, 87, 1_000_000]),
          top_artist: r.next() < 0.2 ? null : hostile(r),
          top_track:
            r.next() < 0.2
              ? null
              : { name: hostile(r), artists: Array.from({ length: r.int(0, 3) }, () => hostile(r)) },
          top_genre: r.next() < 0.2 ? null : hostile(r),
          busiest_month: r.pick([null, 1, 12]),
          longest_streak_days: r.pick([null, 1, 365]),
        },
        { theme, width, nowMs: now },
      ),
    ];
    for (const [i, svg] of cards.entries()) {
      const { texts } = checkSvg(svg, `seed ${seed}, card ${i}`);
      // Hostile art never makes it in; the one good PNG may.
      for (const m of svg.matchAll(/href="([^"]*)"/g)) assert.equal(m[1], PNG, `seed ${seed}: only good art`);
      for (const t of texts) assert.ok(t.text.length <= 2048, `seed ${seed}: text bounded`);
      assert.ok(svg.length < 200_000, `seed ${seed}: size bounded (${svg.length})`);
    }
  }
});

test("named cases from the issue each give a valid card", () => {
  const now = Date.parse("2026-11-21T12:00:00.000Z");
  const base: NowPlayingView = {
    state: "playing",
    is_playing: true,
    kind: "track",
    title: "t",
    artists: ["a"],
    album: "al",
    album_art: null,
    album_id: null,
    url: null,
    progress_ms: 1000,
    duration_ms: 200_000,
    device_type: "Computer",
    played_at: null,
    observed_at: null,
  };
  const cases: Record<string, string> = {
    script: "<script>alert('x')</script>",
    entityAtCut: `${"M".repeat(19)}&amp;${"M".repeat(40)}`,
    long: "L".repeat(500),
    emoji: "🎧👨‍👩‍👧‍👦🇯🇵🏳️‍🌈".repeat(10),
    rtl: "שלום עולם ".repeat(20),
    empty: "",
  };
  for (const [name, title] of Object.entries(cases)) {
    for (const theme of ["light", "dark"] as const) {
      const svg = renderNowPlayingCard(
        { ...base, title, artists: [title] },
        { theme, width: 480, nowMs: now, showProgress: true, showArt: true, art: null },
      );
      const { texts } = checkSvg(svg, name);
      if (name === "script")
        assert.ok(
          texts.some((t) => t.text === cases.script),
          "shown as text, escaped",
        );
      if (name === "entityAtCut") {
        assert.ok(svg.includes("&amp;amp;") || !svg.includes("&amp"), "the entity is whole or cut away");
      }
      if (name === "long") {
        const title500 = texts.find((t) => t.text.startsWith("LLL"));
        assert.ok(title500?.text.endsWith("…"), "the long title is cut with an ellipsis");
      }
      if (name === "rtl") assert.match(svg, /direction="rtl"/);
    }
  }
});
