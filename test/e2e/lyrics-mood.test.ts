import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { recordListen } from "#shared/capture/record.ts";
import { geniusLyricsResponseSchema, trackLyricsResponseSchema } from "#shared/http/lyrics-schemas.ts";
import { moodResponseSchema, systemStatsResponseSchema } from "#shared/http/schemas.ts";
import { ANALYSIS_LEASE_KEY, runAnalysisJob } from "#shared/lyrics/analysis.ts";
import { prepareText } from "#shared/lyrics/emotions.ts";
import type { TrackInfo } from "#shared/store/port.ts";
import { bearer, startTestApp, type TestApp } from "#test/support/app.ts";
import {
  type FakeGenius,
  type FakeHf,
  type FakeLrclib,
  fakeScores,
  type LyricsFakes,
  startLyricsFakes,
} from "#test/support/fake-lyrics.ts";
import { playOf } from "#test/support/plays.ts";

/**
 * Lyrics and mood end to end: the local server, DynamoDB Local, and fake LRCLIB, Genius and
 * Hugging Face servers over HTTP. The found / search-fallback / not found / instrumental /
 * rate-limited / model-loading paths, the routes' 503s without their settings, the mood.
 */

type ErrorBody = { error: string; message: string };

const track = (id: string, name: string, artist: string, album: string, seconds: number): TrackInfo => ({
  track_id: id,
  kind: "track",
  name,
  uri: `spotify:track:${id}`,
  artists: [{ id: `ar-${artist}`, name: artist }],
  album: { id: `al-${album}`, name: album, image_url: null },
  duration_ms: seconds * 1000,
});

// Most played first: exact (4 plays), fallback (3), missing (2), instrumental (1).
const EXACT = track("t-exact", "Sunny Day", "The Smiles", "Bright", 201);
const FALLBACK = track("t-fallback", "Rainy Night", "Grey Skies", "Rainy Night (Deluxe)", 180);
const MISSING = track("t-missing", "Joy Unknown", "Nobody", "Lost", 150);
const INSTRUMENTAL = track("t-instr", "Interlude", "Quiet Band", "Calm", 90);

const EXACT_LYRICS = "[Verse]\nI feel joy today\nI feel joy today\nthe sun is out\n[Chorus]\nla la la";
const FALLBACK_LYRICS = "sadness in the rain\ntears fall down";

let lrclib: FakeLrclib;
let hf: FakeHf;
let genius: FakeGenius;
let fakes: LyricsFakes;
let app: TestApp;
let token: string;

const NOW = Date.parse("2026-11-21T12:00:00.000Z");

async function api(path: string, init: RequestInit = {}) {
  const res = await fetch(`${app.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) },
  });
  return { res, body: (await res.json()) as Record<string, unknown> };
}

// "schedule": POST /analysis/run's runs are told apart by their "manual" trigger.
const run = () => runAnalysisJob(app.deps, "schedule", { runForMs: 60_000 });

before(async () => {
  fakes = await startLyricsFakes();
  ({ lrclib, hf, genius } = fakes);
  lrclib.add({
    trackName: "Sunny Day",
    artistName: "The Smiles",
    albumName: "Bright",
    duration: 202,
    plainLyrics: EXACT_LYRICS,
    syncedLyrics: "[00:01.00] I feel joy today\n[00:04.00] the sun is out",
    instrumental: false,
  });
  // Only findable by search: another album edition, synced lyrics only.
  lrclib.add({
    trackName: "Rainy Night",
    artistName: "Grey Skies",
    albumName: "Rainy Night",
    duration: 181,
    plainLyrics: null,
    syncedLyrics: "[00:02.00] sadness in the rain\n[00:05.50] tears fall down",
    instrumental: false,
  });
  lrclib.add({
    trackName: "Interlude",
    artistName: "Quiet Band",
    albumName: "Calm",
    duration: 90,
    plainLyrics: null,
    syncedLyrics: null,
    instrumental: true,
  });
  app = await startTestApp({ ...fakes.env, ANALYSIS_TRACKS_PER_RUN: "10" });
  token = await bearer(app);
  const plays: [TrackInfo, number][] = [
    [EXACT, 4],
    [FALLBACK, 3],
    [MISSING, 2],
    [INSTRUMENTAL, 1],
  ];
  let at = NOW - 3 * 86_400_000;
  for (const [t, n] of plays) {
    for (let i = 0; i < n; i++) {
      at += 600_000;
      await recordListen(app.deps.store, playOf(t, at, 60_000 + i * 1000, true), t);
    }
  }
});

after(async () => {
  await app?.close();
  await fakes?.close();
});

describe("the background analysis", () => {
  test("fetches lyrics and vectors most played first: exact, fallback, missing (title), instrumental", async () => {
    const outcome = await run();
    assert.ok(outcome.ran && outcome.ok, JSON.stringify(outcome));
    assert.deepEqual(
      { ...outcome.result },
      {
        examined: 4,
        analyzed: 4,
        lyrics_found: 2,
        instrumental: 1,
        lyrics_not_found: 1,
        vectors_from_lyrics: 2,
        vectors_from_title: 1,
        failed: 0,
        stopped: null,
        emotions_configured: true,
      },
    );
    // LRCLIB asked to be named; every request said who we are.
    assert.match(String(lrclib.lastHeaders["user-agent"]), /^hoardify\//);
    // The model saw the lyrics without repeats or section tags, then the title of the missing one.
    assert.deepEqual(hf.inputs, [prepareText(EXACT_LYRICS).text, FALLBACK_LYRICS, "Joy Unknown"]);
    assert.equal(hf.inputs[0], "I feel joy today\nthe sun is out\nla la la");
  });

  test("a second run finds nothing to do and calls nobody", async () => {
    const [l, h] = [lrclib.total(), hf.total()];
    const outcome = await run();
    assert.ok(outcome.ran && outcome.result);
    assert.equal(outcome.result.analyzed, 0);
    assert.deepEqual([lrclib.total(), hf.total()], [l, h]);
  });

  test("GET /lyrics/{id}: plain and synced text, the exact match, the emotions with their model", async () => {
    const { res, body } = await api(`/lyrics/${EXACT.track_id}`);
    assert.equal(res.status, 200);
    const lyrics = trackLyricsResponseSchema.parse(body);
    assert.equal(lyrics.status, "found");
    assert.equal(lyrics.matched_by, "get");
    assert.equal(lyrics.plain, EXACT_LYRICS);
    assert.match(lyrics.synced ?? "", /^\[00:01.00\]/);
    assert.equal(lyrics.emotions?.source, "lyrics");
    assert.equal(lyrics.emotions?.model, "SamLowe/roberta-base-go_emotions");
    assert.equal(lyrics.emotions?.scores[0]?.label, "joy");
    const fallback = trackLyricsResponseSchema.parse((await api(`/lyrics/${FALLBACK.track_id}`)).body);
    assert.equal(fallback.matched_by, "search");
    assert.equal(fallback.plain, FALLBACK_LYRICS);
    assert.equal(fallback.emotions?.scores[0]?.label, "sadness");
    const instrumental = trackLyricsResponseSchema.parse(
      (await api(`/lyrics/${INSTRUMENTAL.track_id}`)).body,
    );
    assert.deepEqual(
      [instrumental.status, instrumental.plain, instrumental.emotions],
      ["instrumental", null, null],
    );
  });

  test("not found: a 404 with the retry date, cached (no new LRCLIB call) until 30 days pass", async () => {
    const before = lrclib.total();
    const { res, body } = await api(`/lyrics/${MISSING.track_id}`);
    assert.equal(res.status, 404);
    assert.match(String(body.message), /asked again after 2026-12-2/);
    assert.equal(lrclib.total(), before);
    assert.equal((await api("/lyrics/no-such-track")).res.status, 404);
  });

  test("GET /stats/mood: the vectors weighted by listened time, coverage, a summary", async () => {
    const { res, body } = await api("/stats/mood?range=7d&limit=28");
    assert.equal(res.status, 200);
    const mood = moodResponseSchema.parse(body);
    // Listened ms per track (plays of 60 s, 61 s, …).
    const ms = {
      exact: 60_000 + 61_000 + 62_000 + 63_000,
      fallback: 183_000,
      missing: 121_000,
      instr: 60_000,
    };
    const total = ms.exact + ms.fallback + ms.missing + ms.instr;
    assert.equal(mood.listened_ms, total);
    assert.equal(mood.plays, 10);
    assert.ok(Math.abs(mood.coverage.lyrics - (ms.exact + ms.fallback) / total) < 1e-12);
    assert.ok(Math.abs(mood.coverage.title - ms.missing / total) < 1e-12);
    assert.ok(Math.abs(mood.coverage.instrumental - ms.instr / total) < 1e-12);
    assert.equal(mood.coverage.pending, 0);
    assert.deepEqual(mood.coverage.tracks, { lyrics: 2, title: 1, instrumental: 1, pending: 0 });
    const texts: [string, number][] = [
      [prepareText(EXACT_LYRICS).text, ms.exact],
      [FALLBACK_LYRICS, ms.fallback],
      ["Joy Unknown", ms.missing],
    ];
    const weight = ms.exact + ms.fallback + ms.missing;
    for (const e of mood.emotions) {
      const expected =
        texts.reduce((a, [t, w]) => a + w * (fakeScores(t).find((s) => s.label === e.label)?.score ?? 0), 0) /
        weight;
      assert.ok(Math.abs(e.score - expected) < 1e-5, `${e.label}: ${e.score} vs ${expected}`);
    }
    assert.equal(mood.emotions[0]?.label, "joy");
    assert.match(mood.summary, /^Mostly joy \(\d+%\) and sadness \(\d+%\)/);
    const byPlays = moodResponseSchema.parse((await api("/stats/mood?range=7d&by=plays")).body);
    assert.equal(byPlays.by, "plays");
    assert.equal(byPlays.emotions.length, 5);
  });

  test("the dashboard carries the mood", async () => {
    const { res, body } = await api("/dashboard?range=7d");
    assert.equal(res.status, 200);
    assert.equal((body.mood as { emotions: { label: string }[] }).emotions[0]?.label, "joy");
  });

  test("a not-found is asked again after 30 days, and a new model re-analyses", async () => {
    app.advance(31 * 86_400_000);
    try {
      const outcome = await run();
      assert.ok(outcome.ran && outcome.result);
      // Only the missing track: still not found, its title vector (same model) stands.
      assert.equal(outcome.result.analyzed, 1);
      assert.equal(outcome.result.lyrics_not_found, 1);
      assert.equal(outcome.result.vectors_from_title, 0);
    } finally {
      app.advance(-31 * 86_400_000);
    }
  });
});

describe("faults", () => {
  test("LRCLIB rate limiting stops the run and is a 429 with Retry-After on /lyrics", async () => {
    const fresh = track("t-new", "Brand New", "Fresh", "New", 100);
    await recordListen(app.deps.store, playOf(fresh, NOW - 1000, 60_000, true), fresh);
    lrclib.fail({ status: 429, retryAfter: 120 });
    const outcome = await run();
    assert.ok(outcome.ran && outcome.result);
    assert.match(String(outcome.result.stopped), /^rate_limited: LRCLIB is rate limiting/);
    lrclib.fail({ status: 429, retryAfter: 120 });
    const { res, body } = await api(`/lyrics/${fresh.track_id}`);
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("retry-after"), "120");
    assert.equal(body.error, "rate_limited");
    // A server error is retried once; two in a row are a 503 naming LRCLIB.
    lrclib.fail({ status: 500 }, 2);
    const down = await api(`/lyrics/${fresh.track_id}`);
    assert.equal(down.res.status, 503);
    assert.equal(down.body.error, "lrclib_unavailable");
  });

  test("POST /analyze-lyrics waits out a short model load, and answers 503 model_loading for a long one", async () => {
    hf.fail({ status: 503, estimatedTime: 0.3 });
    const ok = await api("/analyze-lyrics", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "so much love\nso much love" }),
    });
    assert.equal(ok.res.status, 200);
    assert.equal((ok.body.emotions as { label: string }[])[0]?.label, "love");
    assert.equal(hf.inputs.at(-1), "so much love");
    hf.fail({ status: 503, estimatedTime: 120 });
    const loading = await api("/analyze-lyrics", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "anything" }),
    });
    assert.equal(loading.res.status, 503);
    assert.equal(loading.body.error, "model_loading");
    assert.equal(loading.res.headers.get("retry-after"), "120");
    hf.fail({ status: 429, retryAfter: 7 });
    const limited = await api("/analyze-lyrics", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "anything" }),
    });
    assert.equal(limited.res.status, 429);
    assert.equal(limited.res.headers.get("retry-after"), "7");
    const empty = await api("/analyze-lyrics", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ text: "  " }),
    });
    assert.equal(empty.res.status, 422);
  });

  test("a model still loading stops the background run without marking the track", async () => {
    const later = track("t-later", "Later", "Fresh", "New", 100);
    await recordListen(app.deps.store, playOf(later, NOW - 500, 60_000, true), later);
    await app.deps.lyrics.putLyrics("t-new", {
      status: "found",
      plain: "love",
      synced: null,
      lrclib_id: 1,
      matched_by: "get",
      fetched_at: new Date(NOW).toISOString(),
    });
    lrclib.add({
      trackName: "Later",
      artistName: "Fresh",
      albumName: "New",
      duration: 100,
      plainLyrics: "x",
      syncedLyrics: null,
      instrumental: false,
    });
    hf.fail({ status: 503, estimatedTime: 600 });
    const outcome = await run();
    assert.ok(outcome.ran && outcome.result);
    assert.match(String(outcome.result.stopped), /^loading/);
    assert.equal(await app.deps.lyrics.getEmotions("t-new"), null);
  });
});

describe("POST /analysis/run", () => {
  test("starts a run in the background (202); its result shows in /admin/system-stats; 409 while one runs", async () => {
    // The earlier tests' runs all started at one frozen instant; this one starts later, so it is
    // the newest of the runs /admin/system-stats lists (five, newest first), not one of a tie.
    app.advance(1000);
    const started = await api("/analysis/run", { method: "POST" });
    assert.equal(started.res.status, 202);
    let stats = systemStatsResponseSchema.parse((await api("/admin/system-stats")).body);
    // The test clock stands still: runs are told apart by their trigger.
    const manual = () => stats.jobs.analysis?.recent.find((r) => r.result.trigger === "manual");
    // Generous: on a loaded CI machine the background run may take many seconds to finish.
    for (const until = Date.now() + 180_000; !manual() && Date.now() < until; ) {
      await sleep(50);
      stats = systemStatsResponseSchema.parse((await api("/admin/system-stats")).body);
    }
    assert.equal(manual()?.ok, true);
    assert.equal(manual()?.result.vectors_from_lyrics, 2);
    assert.ok(stats.analysis.analyzed_tracks >= 6, JSON.stringify(stats.analysis));
    // Kept as the vectors were stored: the same as counting the index.
    const { lyrics, title, instrumental } = stats.analysis.by_source ?? assert.fail("no counts after a run");
    assert.equal(lyrics + title + instrumental, stats.analysis.analyzed_tracks);
    const ids = (await app.deps.store.listTracksByCount(100)).items.map((t) => t.track_id);
    const sources = [...(await app.deps.lyrics.emotionsFor(ids)).values()].map((e) => e.source);
    assert.deepEqual(
      { lyrics, title, instrumental },
      {
        lyrics: sources.filter((s) => s === "lyrics").length,
        title: sources.filter((s) => s === "title").length,
        instrumental: sources.filter((s) => s === "instrumental").length,
      },
    );
    assert.equal(stats.analysis.emotions_configured, true);
    await app.deps.cache.set(ANALYSIS_LEASE_KEY, "someone", { ttlMs: 60_000 });
    try {
      const busy = await api("/analysis/run", { method: "POST" });
      assert.equal(busy.res.status, 409);
      assert.deepEqual(await run(), { ran: false, reason: "running" });
    } finally {
      await app.deps.cache.del(ANALYSIS_LEASE_KEY);
    }
  });
});

describe("Genius", () => {
  before(() => {
    const artist = { id: 77, name: "The Smiles", image_url: "https://images.genius.com/a77.jpg" };
    genius.add({ id: 501, title: "Sunny Day", artist, release_date: "2020-05-01", album: "Bright" });
    genius.add({ id: 502, title: "Second Sun", artist, release_date: "2018-01-01", album: null });
    genius.add({ id: 503, title: "Third", artist, release_date: "2022-01-01", album: null });
    for (let i = 0; i < 10; i++) {
      genius.add({
        id: 600 + i,
        title: `Sun song ${i}`,
        artist: {
          id: 800 + i,
          name: `Sun Artist ${i}`,
          image_url: i === 0 ? "https://assets.genius.com/images/default_avatar_300.png" : `https://img/${i}`,
        },
        release_date: null,
        album: null,
      });
    }
  });

  test("search-artist and autocomplete (at most 8, each with a picture)", async () => {
    const found = await api("/genius/search-artist?q=sun");
    assert.equal(found.res.status, 200);
    const artists = found.body.artists as { id: number; name: string }[];
    assert.equal(artists[0]?.name, "The Smiles");
    assert.equal(artists.length, 11);
    const auto = (await api("/genius/autocomplete?q=sun")).body.artists as {
      id: number;
      image_url: string;
    }[];
    assert.equal(auto.length, 8);
    assert.ok(auto.every((a) => !a.image_url.includes("default_avatar")));
    assert.match(String(genius.lastHeaders.authorization), /^Bearer genius_test$/);
    assert.equal((await api("/genius/search-artist?q=")).res.status, 400);
  });

  test("an artist's songs by release date, paged", async () => {
    const first = await api("/genius/artist-songs/77?per_page=2");
    assert.equal(first.res.status, 200);
    assert.deepEqual(
      (first.body.songs as { id: number }[]).map((s) => s.id),
      [502, 501],
    );
    assert.equal(first.body.next_page, 2);
    const second = await api("/genius/artist-songs/77?per_page=2&page=2");
    assert.deepEqual(
      (second.body.songs as { id: number }[]).map((s) => s.id),
      [503],
    );
    assert.equal(second.body.next_page, null);
    assert.equal((await api("/genius/artist-songs/9999")).res.status, 404);
  });

  test("a song's lyrics (LRCLIB by title and artist) and emotions, analysed once", async () => {
    const { res, body } = await api("/genius/lyrics/501");
    assert.equal(res.status, 200);
    const g = geniusLyricsResponseSchema.parse(body);
    assert.equal(g.song.url, "https://genius.com/songs/501");
    assert.equal(g.lyrics?.plain, EXACT_LYRICS);
    assert.equal(g.emotions?.scores[0]?.label, "joy");
    const h = hf.total();
    geniusLyricsResponseSchema.parse((await api("/genius/lyrics/501")).body);
    assert.equal(hf.total(), h);
    assert.equal((await api("/genius/lyrics/4242")).res.status, 404);
  });
});

describe("without HF_TOKEN and GENIUS_ACCESS_TOKEN", () => {
  let bare: TestApp;
  let bareToken: string;
  before(async () => {
    bare = await startTestApp({ LRCLIB_API_URL: `${lrclib.url}/api` });
    bareToken = await bearer(bare);
    await recordListen(bare.deps.store, playOf(EXACT, NOW - 100_000, 60_000, true), EXACT);
  });
  after(() => bare?.close());
  const call = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(`${bare.url}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${bareToken}`,
        "content-type": "application/json",
        ...(init.headers ?? {}),
      },
    });
    return { res, body: (await res.json()) as ErrorBody };
  };

  test("the Genius and analysis routes answer 503 naming the setting; lyrics still work", async () => {
    const a = await call("/analyze-lyrics", { method: "POST", body: JSON.stringify({ text: "hi" }) });
    assert.equal(a.res.status, 503);
    assert.equal(a.body.error, "not_configured");
    assert.match(a.body.message, /HF_TOKEN/);
    for (const path of [
      "/genius/search-artist?q=x",
      "/genius/autocomplete?q=x",
      "/genius/artist-songs/1",
      "/genius/lyrics/1",
    ]) {
      const g = await call(path);
      assert.equal(g.res.status, 503, path);
      assert.match(g.body.message, /GENIUS_ACCESS_TOKEN/);
    }
    const l = await call(`/lyrics/${EXACT.track_id}`);
    assert.equal(l.res.status, 200);
    // The analysis still fetches lyrics; the mood says nothing is analysed yet.
    const outcome = await runAnalysisJob(bare.deps, "manual", { runForMs: 60_000 });
    assert.ok(outcome.ran && outcome.result);
    assert.equal(outcome.result.emotions_configured, false);
    const mood = moodResponseSchema.parse((await call("/stats/mood?range=7d")).body);
    assert.equal(mood.coverage.pending, 1);
    assert.match(mood.summary, /^No mood yet/);
  });
});
