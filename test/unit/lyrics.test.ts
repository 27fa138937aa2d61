import assert from "node:assert/strict";
import { test } from "node:test";
import type { Track } from "#shared/domain/entities.ts";
import { tracksMostPlayedFirst, workFor } from "#shared/lyrics/analysis.ts";
import { MAX_CHARS, MAX_WORDS, prepareText } from "#shared/lyrics/emotions.ts";
import { bestCandidate } from "#shared/lyrics/lrclib.ts";
import { moodOf } from "#shared/lyrics/mood.ts";
import { decodeScores, encodeScores, type TrackEmotions } from "#shared/lyrics/store.ts";

const DAY = 86_400_000;
const NOW = Date.parse("2026-11-21T12:00:00.000Z");

test("prepareText drops tags and repeated lines, and cuts long text on a line within the budget", () => {
  assert.deepEqual(prepareText("[Intro]\nHello\n\nhello\n  World  \n[Chorus]\nHello"), {
    text: "Hello\nWorld",
    truncated: false,
  });
  const lines = Array.from({ length: 200 }, (_, i) => `line number ${i} with some more words here`);
  const long = prepareText(lines.join("\n"));
  assert.equal(long.truncated, true);
  assert.ok(long.text.split(/\s+/).length <= MAX_WORDS);
  assert.ok(long.text.length <= MAX_CHARS);
  // Whole lines only, in order.
  assert.deepEqual(long.text.split("\n"), lines.slice(0, long.text.split("\n").length));
  const oneHuge = prepareText("word ".repeat(5000));
  assert.equal(oneHuge.truncated, true);
  assert.ok(oneHuge.text.length <= MAX_CHARS && oneHuge.text.split(" ").length <= MAX_WORDS);
});

test("LRCLIB search: the same artist within 3 s, text before instrumental, synced before plain", () => {
  const q = { track: "Song", artist: "The Band", durationSeconds: 200 };
  const c = (over: object) => ({ trackName: "Song", artistName: "The Band", duration: 200, ...over });
  assert.equal(bestCandidate(q, [c({ artistName: "Other", plainLyrics: "x" })]), null);
  assert.equal(bestCandidate(q, [c({ duration: 210, plainLyrics: "x" })]), null);
  assert.equal(bestCandidate(q, [c({ plainLyrics: "" })]), null);
  const plain = c({ id: 1, plainLyrics: "x" });
  const synced = c({ id: 2, plainLyrics: "x", syncedLyrics: "[00:01.00] x" });
  const instrumental = c({ id: 3, instrumental: true });
  assert.equal(bestCandidate(q, [instrumental, plain, synced])?.id, 2);
  assert.equal(bestCandidate(q, [instrumental, plain])?.id, 1);
  assert.equal(bestCandidate(q, [instrumental])?.id, 3);
  // "The Band feat. Someone" is still the band.
  assert.equal(
    bestCandidate(q, [c({ id: 4, artistName: "The Band feat. Someone", plainLyrics: "x" })])?.id,
    4,
  );
});

test("what a track needs: once per model, not found asked again after its retry date", () => {
  const found = {
    status: "found",
    plain: "x",
    synced: null,
    lrclib_id: 1,
    matched_by: "get",
    fetched_at: "",
  } as const;
  const notFound = (retry: number) =>
    ({ status: "not_found", fetched_at: "", retry_after: new Date(retry).toISOString() }) as const;
  const vector = (source: TrackEmotions["source"], model: string | null): TrackEmotions => ({
    track_id: "t",
    source,
    model,
    scores: [],
    analyzed_at: "",
  });
  assert.deepEqual(workFor({ lyrics: null, emotions: null }, NOW, "m"), { lyrics: true, vector: true });
  assert.deepEqual(workFor({ lyrics: null, emotions: null }, NOW, null), { lyrics: true, vector: false });
  assert.deepEqual(workFor({ lyrics: found, emotions: vector("lyrics", "m") }, NOW, "m"), {
    lyrics: false,
    vector: false,
  });
  assert.deepEqual(workFor({ lyrics: found, emotions: vector("lyrics", "old") }, NOW, "m"), {
    lyrics: false,
    vector: true,
  });
  const waiting = { lyrics: notFound(NOW + DAY), emotions: vector("title", "m") };
  assert.deepEqual(workFor(waiting, NOW, "m"), { lyrics: false, vector: false });
  assert.deepEqual(workFor({ ...waiting, lyrics: notFound(NOW - 1) }, NOW, "m"), {
    lyrics: true,
    vector: true,
  });
  const instrumental = { status: "instrumental", lrclib_id: 1, fetched_at: "" } as const;
  assert.deepEqual(workFor({ lyrics: instrumental, emotions: vector("instrumental", null) }, NOW, "m"), {
    lyrics: false,
    vector: false,
  });
});

test("scores survive their compact encoding", () => {
  const scores = [
    { label: "joy", score: 0.123456789 },
    { label: "odd:label", score: 1e-7 },
  ];
  assert.deepEqual(decodeScores(encodeScores(scores)), [
    { label: "joy", score: 0.123457 },
    { label: "odd:label", score: 0 },
  ]);
  assert.deepEqual(decodeScores(""), []);
  assert.deepEqual(decodeScores(undefined), []);
});

test("moodOf: nothing played, nothing analysed, mostly instrumental", () => {
  const v = (source: TrackEmotions["source"], scores: [string, number][] = []): TrackEmotions => ({
    track_id: "",
    source,
    model: source === "instrumental" ? null : "m",
    scores: scores.map(([label, score]) => ({ label, score })),
    analyzed_at: "",
  });
  assert.equal(moodOf([], new Map(), "time", "m").summary, "Nothing was played in this period.");
  const pending = moodOf([{ id: "a", plays: 2, listened_ms: 1000 }], new Map(), "time", "m");
  assert.deepEqual([pending.coverage.pending, pending.emotions.length], [1, 0]);
  assert.match(pending.summary, /^No mood yet: 100%/);
  const instrumental = moodOf(
    [
      { id: "a", plays: 1, listened_ms: 3000 },
      { id: "b", plays: 1, listened_ms: 1000 },
    ],
    new Map([
      ["a", v("instrumental")],
      ["b", v("lyrics", [["neutral", 0.9]])],
    ]),
    "time",
    "m",
  );
  assert.equal(instrumental.summary, "Mostly instrumental (75% of the listening time).");
  // "neutral" is listed but the sentence names real emotions.
  const mixed = moodOf(
    [{ id: "b", plays: 1, listened_ms: 1000 }],
    new Map([
      [
        "b",
        v("lyrics", [
          ["neutral", 0.9],
          ["joy", 0.5],
          ["love", 0.1],
        ]),
      ],
    ]),
    "plays",
    "m",
  );
  assert.equal(mixed.emotions[0]?.label, "neutral");
  assert.match(
    mixed.summary,
    /^Mostly joy \(33%\) and love \(7%\), from the 100% of listening time with lyrics analysed\.$/,
  );
});

test("the analysis walks every listener's tracks, most played first, each track once", async () => {
  const track = (id: string, n: number) => ({ track_id: id, listen_count: n }) as unknown as Track;
  // A store paging its by-count index two at a time, as listTracksByCount does.
  const storeOf = (tracks: Track[]) => ({
    async listTracksByCount(limit: number, cursor?: string) {
      const from = Number(cursor ?? 0);
      const next = from + Math.min(limit, 2);
      return { items: tracks.slice(from, next), next_cursor: next < tracks.length ? String(next) : null };
    },
  });
  const owner = storeOf([track("a", 9), track("shared", 5), track("b", 1)]);
  const member = storeOf([track("c", 7), track("shared", 6), track("d", 2)]);
  const order: string[] = [];
  const sizes: number[] = [];
  for await (const page of tracksMostPlayedFirst([owner, member], 2)) {
    sizes.push(page.length);
    order.push(...page.map((t) => t.track_id));
  }
  assert.deepEqual(order, ["a", "c", "shared", "d", "b"]);
  assert.deepEqual(sizes, [2, 2, 1]);
});
