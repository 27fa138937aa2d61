import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { extrapolateProgress, STALE_PAUSE_MS, viewFromPlay, viewFromSnapshot } from "#shared/cards/model.ts";
import {
  cleanText,
  ELLIPSIS,
  escapeXml,
  fitText,
  formatAgo,
  formatDuration,
  graphemeEm,
  isRtl,
  measureText,
} from "#shared/cards/text.ts";
import type { Play } from "#shared/domain/entities.ts";
import type { NowPlayingSnapshot } from "#shared/domain/tracker.ts";

const F = { size: 14 };

describe("text: clean, measure, truncate, escape", () => {
  test("short text is kept as is and measured", () => {
    const fit = fitText("Hello", 200, F);
    assert.deepEqual(fit, { text: "Hello", width: measureText("Hello", F), truncated: false, rtl: false });
  });

  test("long text is cut by width with an ellipsis and always fits", () => {
    const raw = "x".repeat(500);
    for (const max of [0, 5, 10, 50, 123.4, 300]) {
      const fit = fitText(raw, max, F);
      assert.ok(fit.width <= max + 1e-9, `${fit.width} <= ${max}`);
      assert.ok(measureText(fit.text, F) <= max + 1e-9);
      if (fit.text !== "") assert.ok(fit.text.endsWith(ELLIPSIS));
    }
  });

  test("escaping comes after the cut: an entity is never split", () => {
    // "&amp;" as a name (already escaped upstream) and a raw "&" both sit at the cut point.
    for (const raw of ["abcdefgh&amp;ijklmnop", "abcdefgh&ijklmnopqrstu", "abcdefg<script>"]) {
      for (let max = 10; max < 140; max += 3) {
        const fit = fitText(raw, max, F);
        const out = escapeXml(fit.text);
        // Every & in the output starts a complete entity.
        assert.doesNotMatch(out, /&(?!(amp|lt|gt|quot|#39);)/, out);
        assert.doesNotMatch(out, /[<>]/);
      }
    }
    assert.equal(
      escapeXml(`<a href="x" onclick='y'>&`),
      "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;",
    );
  });

  test("cuts never split a grapheme: ZWJ families, flags, keycaps, combining marks, Hangul", () => {
    const family = "👨‍👩‍👧‍👦";
    const samples = [
      family.repeat(10),
      "🇯🇵🇫🇷🇧🇷".repeat(5),
      "1️⃣2️⃣3️⃣".repeat(5),
      "e\u0301a\u0300o\u0302".repeat(20), // decomposed: NFC composes these
      "q\u0301\u0327".repeat(20), // no precomposed form: base + two marks
      "\u1100\u1161\u11A8".repeat(20), // conjoining jamo: one syllable each
    ];
    const seg = new Intl.Segmenter(undefined, { granularity: "grapheme" });
    for (const s of samples) {
      const whole = new Set([...seg.segment(cleanText(s))].map((x) => x.segment));
      for (let max = 20; max < 200; max += 7) {
        const fit = fitText(s, max, F);
        const parts = [...seg.segment(fit.text)].map((x) => x.segment).filter((g) => g !== ELLIPSIS);
        for (const g of parts)
          assert.ok(whole.has(g), `${JSON.stringify(g)} is a whole grapheme of the input`);
      }
    }
  });

  test("width table: wide CJK and emoji take more room than Latin; marks and joiners none", () => {
    assert.equal(graphemeEm("東"), 1);
    assert.equal(graphemeEm("한"), 1);
    assert.equal(graphemeEm("Ｗ"), 1); // fullwidth
    assert.ok(graphemeEm("👨‍👩‍👧") > 1);
    assert.ok(graphemeEm("🇫🇷") > 1);
    assert.equal(graphemeEm("❤️"), graphemeEm("😀"));
    assert.ok(graphemeEm("i") < graphemeEm("m"));
    assert.equal(graphemeEm("e\u0301"), graphemeEm("e"));
    assert.equal(graphemeEm("\u200B"), 0);
    assert.ok(graphemeEm("\u0301") > 0, "a lone mark is drawn on a dotted circle");
    // The same width holds fewer CJK characters than Latin ones.
    const cjk = fitText("東京事変".repeat(20), 150, F).text.length;
    const latin = fitText("abcd".repeat(20), 150, F).text.length;
    assert.ok(cjk < latin);
  });

  test("clean: controls, bidi overrides, line breaks, lone surrogates, Zalgo", () => {
    assert.equal(cleanText("a\u0000b\u0008c\u001Fd\u007F\u0085e"), "abcde");
    assert.equal(cleanText("  line\none\r\n\ttwo  "), "line one two");
    assert.equal(cleanText("\u202Eevil\u202C \u2067x\u2069"), "evil x");
    assert.equal(cleanText("bad \uD800 surrogate"), "bad \uFFFD surrogate");
    assert.equal(cleanText("\uFFFE\uFFFF"), "");
    const zalgo = cleanText(`Z${"\u0336\u0337\u0338\u0339\u033A".repeat(20)}`);
    assert.equal([...zalgo].length, 5, "base + four marks");
    assert.equal(cleanText("x".repeat(10_000)).length, 2048);
  });

  test("RTL: first strong character decides; the ellipsis is appended in logical order", () => {
    assert.equal(isRtl("שלום world"), true);
    assert.equal(isRtl("123 مرحبا"), true);
    assert.equal(isRtl("hello שלום"), false);
    assert.equal(isRtl("🎵 ★"), false);
    const fit = fitText("مرحبا بالعالم ".repeat(20), 120, F);
    assert.equal(fit.rtl, true);
    assert.ok(fit.text.endsWith(ELLIPSIS));
    assert.ok(!fit.text.endsWith(` ${ELLIPSIS}`), "the space before the cut is dropped");
  });

  test("empty and whitespace-only strings give nothing to draw", () => {
    assert.equal(fitText("", 100, F).text, "");
    assert.equal(fitText(" \n\t ", 100, F).text, "");
  });

  test("durations and ages", () => {
    assert.equal(formatDuration(0), "0:00");
    assert.equal(formatDuration(187_999), "3:07");
    assert.equal(formatDuration(3_723_000), "1:02:03");
    assert.equal(formatDuration(-5), "0:00");
    const now = Date.parse("2026-11-21T12:00:00Z");
    assert.equal(formatAgo(now - 10_000, now), "just now");
    assert.equal(formatAgo(now - 5 * 60_000, now), "5 min ago");
    assert.equal(formatAgo(now - 3 * 3_600_000, now), "3 h ago");
    assert.equal(formatAgo(now - 30 * 3_600_000, now), "yesterday");
    assert.equal(formatAgo(now - 3 * 86_400_000, now), "3 days ago");
    assert.equal(formatAgo(Date.parse("2026-01-02T00:00:00Z"), now), "2 Jan 2026");
  });
});

const item = {
  key: "4uLU6hMCjMI75M1A2tKUQC",
  kind: "track" as const,
  name: "Song",
  uri: "spotify:track:4uLU6hMCjMI75M1A2tKUQC",
  artists: [{ id: "a1", name: "Artist" }],
  album: { id: "al1", name: "Album", image_url: "https://i.scdn.co/image/x" },
  duration_ms: 200_000,
  url: "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC",
};
const T0 = Date.parse("2026-11-21T12:00:00.000Z");
const snap = (over: Partial<NowPlayingSnapshot> = {}): NowPlayingSnapshot => ({
  item,
  is_playing: true,
  progress_ms: 50_000,
  observed_at: new Date(T0).toISOString(),
  device: { id: "d", name: "Laptop", type: "Computer" },
  context: null,
  ...over,
});

describe("progress and the now-playing view", () => {
  test("progress moves while playing, is frozen while paused, and is clamped", () => {
    const s = { progress_ms: 50_000, is_playing: true, observed_at_ms: T0, duration_ms: 200_000 };
    assert.equal(extrapolateProgress(s, T0 + 10_000), 60_000);
    assert.equal(extrapolateProgress(s, T0 + 1_000_000), 200_000);
    assert.equal(
      extrapolateProgress(s, T0 - 5_000),
      50_000,
      "a clock behind the observation does not rewind",
    );
    assert.equal(extrapolateProgress({ ...s, is_playing: false }, T0 + 10_000), 50_000);
    assert.equal(extrapolateProgress({ ...s, progress_ms: -3 }, T0), 0);
    assert.equal(
      extrapolateProgress({ ...s, duration_ms: 0 }, T0 + 1_000),
      51_000,
      "unknown duration: no cap",
    );
  });

  test("a playing snapshot: state, extrapolated progress, device", () => {
    const v = viewFromSnapshot(snap(), T0 + 7_000);
    assert.equal(v?.state, "playing");
    assert.equal(v?.is_playing, true);
    assert.equal(v?.progress_ms, 57_000);
    assert.equal(v?.device_type, "Computer");
    assert.equal(v?.url, item.url);
  });

  test("paused stays paused (frozen), then reads as last played when old", () => {
    const paused = snap({ is_playing: false });
    assert.equal(viewFromSnapshot(paused, T0 + 60_000)?.state, "paused");
    assert.equal(viewFromSnapshot(paused, T0 + 60_000)?.progress_ms, 50_000);
    const old = viewFromSnapshot(paused, T0 + STALE_PAUSE_MS + 1);
    assert.equal(old?.state, "last_played");
    assert.equal(old?.played_at, paused.observed_at);
  });

  test("a playing snapshot nobody updated long after the track's end reads as last played", () => {
    const v = viewFromSnapshot(snap(), T0 + 150_000 + 10 * 60_000);
    assert.equal(v?.state, "last_played");
    assert.equal(v?.is_playing, false);
    assert.equal(v?.played_at, new Date(T0 + 150_000).toISOString());
  });

  test("no snapshot, no item, or a broken time: the store decides", () => {
    assert.equal(viewFromSnapshot(null, T0), null);
    assert.equal(viewFromSnapshot(snap({ item: null }), T0), null);
    assert.equal(viewFromSnapshot(snap({ observed_at: "nope" }), T0), null);
  });

  test("the newest play as last played", () => {
    const play: Play = {
      track_id: item.key,
      kind: "track",
      name: "Song",
      artists: item.artists,
      album_id: "al1",
      listened_at: "2026-11-21T10:00:00.000Z",
      ended_at: "2026-11-21T10:03:20.000Z",
      listened_ms: 200_000,
      duration_ms: 200_000,
      counted: true,
      estimated: false,
      source: "poll",
      device_name: null,
      device_type: "Smartphone",
      context_type: null,
      context_uri: null,
      shuffle_state: null,
    };
    const v = viewFromPlay(play, null);
    assert.equal(v.state, "last_played");
    assert.equal(v.played_at, play.ended_at);
    assert.equal(v.url, `https://open.spotify.com/track/${item.key}`);
    assert.equal(viewFromPlay({ ...play, kind: "local", track_id: "spotify:local:a:b:c:1" }, null).url, null);
  });
});
