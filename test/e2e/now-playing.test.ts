import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { cacheKeys } from "#shared/cache/keys.ts";
import { recordListen } from "#shared/capture/record.ts";
import type { Play } from "#shared/domain/entities.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import type { NowPlayingSnapshot } from "#shared/domain/tracker.ts";
import type { NowPlayingResponse } from "#shared/http/schemas.ts";
import type { PlayableItem } from "#shared/spotify/types.ts";
import { startTestApp, type TestApp } from "#test/support/app.ts";
import { type FakeSpotify, startFakeSpotify } from "#test/support/fake-spotify.ts";
import { checkSvg } from "#test/support/svg-check.ts";

/**
 * The public now-playing routes through the local server: JSON and SVG from the snapshot the
 * poll loop writes (set directly here; the loop itself is covered in now-playing-loop.test.ts)
 * or from the store, art fetched from the fake Spotify's image server, README headers, 304s,
 * option validation and hostile names.
 */

let app: TestApp;
let fake: FakeSpotify;
let odd: Server;
let oddUrl: string;
before(async () => {
  app = await startTestApp();
  fake = await startFakeSpotify({ now: () => app.deps.clock().getTime() });
  // Image URLs that misbehave: wrong type, too big, slow, broken bytes.
  odd = createServer((req, res) => {
    if (req.url === "/html")
      return void res.writeHead(200, { "content-type": "text/html" }).end("<h1>hi</h1>");
    if (req.url === "/svg")
      return void res.writeHead(200, { "content-type": "image/svg+xml" }).end("<svg onload='alert(1)'/>");
    if (req.url === "/big")
      return void res.writeHead(200, { "content-type": "image/png" }).end(Buffer.alloc(300 * 1024, 0x89));
    if (req.url === "/slow") return void setTimeout(() => res.writeHead(200).end(), 5000).unref();
    res.writeHead(404).end();
  });
  await new Promise<void>((ok) => odd.listen(0, "127.0.0.1", ok));
  oddUrl = `http://127.0.0.1:${(odd.address() as AddressInfo).port}`;
});
after(async () => {
  odd.closeAllConnections();
  odd.close();
  await fake.stop();
  await app.close();
});

const now = () => app.deps.clock().getTime();
const iso = (ms: number) => new Date(ms).toISOString();

function item(
  over: Partial<PlayableItem> & { albumId?: string | null; image?: string | null } = {},
): PlayableItem {
  const { albumId = "alb0000000000000000001", image, ...rest } = over;
  const key = rest.key ?? "trk0000000000000000001";
  return {
    key,
    kind: "track",
    name: "Strangers in the Night",
    uri: `spotify:track:${key}`,
    artists: [{ id: "art0000000000000000001", name: "Frank Sinatra" }],
    album: {
      id: albumId,
      name: "Strangers In The Night",
      image_url: image === undefined ? `${fake.origin}/img/${albumId}-64.png` : image,
    },
    duration_ms: 200_000,
    url: `https://open.spotify.com/track/${key}`,
    ...rest,
  };
}

async function setSnapshot(s: Partial<NowPlayingSnapshot> & { item: PlayableItem | null }) {
  const snapshot: NowPlayingSnapshot = {
    is_playing: true,
    progress_ms: 30_000,
    observed_at: iso(now()),
    device: { id: "laptop", name: "Laptop", type: "Computer" },
    context: null,
    ...s,
  };
  await app.deps.cache.set(cacheKeys.snapshot(OWNER_ID), snapshot);
}

async function record(it: PlayableItem, endedAt: number, counted = true) {
  const play: Play = {
    track_id: it.key,
    kind: it.kind,
    name: it.name,
    artists: it.artists,
    album_id: it.album?.id ?? null,
    listened_at: iso(endedAt - it.duration_ms),
    ended_at: iso(endedAt),
    listened_ms: counted ? it.duration_ms : 5_000,
    duration_ms: it.duration_ms,
    counted,
    estimated: false,
    source: "poll",
    device_name: "Phone",
    device_type: "Smartphone",
    context_type: null,
    context_uri: null,
    shuffle_state: null,
  };
  await recordListen(app.deps.store, play, {
    track_id: it.key,
    kind: it.kind,
    name: it.name,
    uri: it.uri,
    artists: it.artists,
    album: it.album,
    duration_ms: it.duration_ms,
  });
}

const getJson = async () => {
  const res = await fetch(`${app.url}/spotify/now-playing`);
  assert.equal(res.status, 200);
  return (await res.json()) as NowPlayingResponse;
};

const getSvg = async (path: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${app.url}${path}`, { headers });
  return { res, body: await res.text() };
};

const imgCalls = () => fake.calls.filter((c) => c.path.startsWith("/img/")).length;
const apiCalls = () => fake.calls.filter((c) => !c.path.startsWith("/img/")).length;
const PNG_DATA_URI =
  "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

describe("GET /spotify/now-playing (JSON)", () => {
  test("an empty hoard answers a clear empty state", async () => {
    const body = await getJson();
    assert.deepEqual(body, {
      state: "empty",
      is_playing: false,
      kind: null,
      title: null,
      artists: [],
      album: null,
      album_art: null,
      url: null,
      progress_ms: null,
      duration_ms: null,
      device_type: null,
      played_at: null,
      observed_at: null,
      fetched_at: iso(now()),
    });
    const { res, body: svg } = await getSvg("/spotify/now-playing.svg");
    assert.equal(res.status, 200);
    assert.ok(checkSvg(svg).texts.some((t) => t.text === "No listens recorded yet"));
  });

  test("with no snapshot, the newest stored play is the last played item", async () => {
    const it = item();
    await record(item({ key: "old0000000000000000001", name: "Older" }), now() - 3_600_000);
    await record(it, now() - 60_000);
    const body = await getJson();
    assert.equal(body.state, "last_played");
    assert.equal(body.is_playing, false);
    assert.equal(body.title, it.name);
    assert.deepEqual(body.artists, ["Frank Sinatra"]);
    assert.equal(body.album, "Strangers In The Night");
    assert.equal(body.album_art, it.album?.image_url);
    assert.equal(body.url, it.url);
    assert.equal(body.played_at, iso(now() - 60_000));
    assert.equal(body.device_type, "Smartphone");
  });

  test("a playing snapshot: progress extrapolated to the request, clamped to the duration", async () => {
    await setSnapshot({ item: item(), progress_ms: 30_000 });
    const observed = now();
    app.advance(12_345);
    let body = await getJson();
    assert.equal(body.state, "playing");
    assert.equal(body.is_playing, true);
    assert.equal(body.progress_ms, 42_345);
    assert.equal(body.duration_ms, 200_000);
    assert.equal(body.device_type, "Computer");
    assert.equal(body.observed_at, iso(observed));
    assert.equal(body.fetched_at, iso(now()));
    app.advance(200_000); // past the end, before the snapshot counts as stale
    body = await getJson();
    assert.equal(body.progress_ms, 200_000);
  });

  test("a paused snapshot is frozen", async () => {
    await setSnapshot({ item: item(), is_playing: false, progress_ms: 77_000 });
    app.advance(60_000);
    const body = await getJson();
    assert.equal(body.state, "paused");
    assert.equal(body.is_playing, false);
    assert.equal(body.progress_ms, 77_000);
  });

  test("a snapshot with nothing in the player falls back to the newest play", async () => {
    await setSnapshot({ item: null, is_playing: false, progress_ms: 0, device: null });
    const body = await getJson();
    assert.equal(body.state, "last_played");
    assert.equal(body.title, "Strangers in the Night");
  });
});

describe("GET /spotify/now-playing.svg", () => {
  test("README headers, a valid card with embedded art, fetched once, Spotify API never called", async () => {
    await setSnapshot({ item: item({ albumId: "albArt000000000000000a" }) });
    const imgBefore = imgCalls();
    const apiBefore = apiCalls();
    const { res, body } = await getSvg("/spotify/now-playing.svg");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "image/svg+xml; charset=utf-8");
    assert.equal(res.headers.get("cache-control"), "no-cache");
    assert.match(res.headers.get("etag") ?? "", /^"[A-Za-z0-9_-]{20,}"$/);
    const csp = res.headers.get("content-security-policy") ?? "";
    assert.match(csp, /default-src 'none'/);
    assert.doesNotMatch(csp, /script-src|unsafe-eval/);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    const { texts } = checkSvg(body);
    assert.ok(texts.some((t) => t.text === "Strangers in the Night"));
    assert.ok(texts.some((t) => t.text.startsWith("NOW PLAYING")));
    assert.ok(body.includes(`href="${PNG_DATA_URI}"`), "the fake's PNG is embedded as a data URI");
    await getSvg("/spotify/now-playing.svg?theme=dark");
    await getSvg("/spotify/now-playing.svg?width=600");
    assert.equal(imgCalls() - imgBefore, 1, "the art is fetched once per album");
    assert.equal(apiCalls() - apiBefore, 0, "no Spotify API call on the request path");
    assert.equal(typeof (await app.deps.cache.get("art:albArt000000000000000a")), "object");
  });

  test("ETag: 304 on If-None-Match (weak and listed forms too), a new tag when the card changes", async () => {
    await setSnapshot({ item: item(), is_playing: false, progress_ms: 10_000 });
    const first = await getSvg("/spotify/now-playing.svg");
    const etag = first.res.headers.get("etag") ?? "";
    for (const inm of [etag, `W/${etag}`, `"nope", ${etag}`, "*"]) {
      const again = await getSvg("/spotify/now-playing.svg", { "if-none-match": inm });
      assert.equal(again.res.status, 304, inm);
      assert.equal(again.body, "");
      assert.equal(again.res.headers.get("etag"), etag);
      assert.equal(again.res.headers.get("cache-control"), "no-cache");
    }
    assert.equal((await getSvg("/spotify/now-playing.svg", { "if-none-match": '"other"' })).res.status, 200);
    // Another theme is another card.
    const dark = await getSvg("/spotify/now-playing.svg?theme=dark", { "if-none-match": etag });
    assert.equal(dark.res.status, 200);
    assert.notEqual(dark.res.headers.get("etag"), etag);
    // The player moves on: a new card, a new tag.
    await setSnapshot({ item: item(), is_playing: true, progress_ms: 10_000 });
    const changed = await getSvg("/spotify/now-playing.svg", { "if-none-match": etag });
    assert.equal(changed.res.status, 200);
    assert.notEqual(changed.res.headers.get("etag"), etag);
    // While playing, the card changes only when the time label or the bar moves.
    const a = (await getSvg("/spotify/now-playing.svg")).res.headers.get("etag");
    app.advance(1_000);
    const b = (await getSvg("/spotify/now-playing.svg")).res.headers.get("etag");
    assert.notEqual(a, b);
  });

  test("options: art=0 leaves the art out, show_progress=false the bar, width sizes the card", async () => {
    await setSnapshot({ item: item() });
    const plain = await getSvg("/spotify/now-playing.svg?art=0&show_progress=false&width=320&theme=dark");
    assert.equal(plain.res.status, 200);
    const { width, texts } = checkSvg(plain.body);
    assert.equal(width, 320);
    assert.ok(!plain.body.includes("<image"));
    assert.ok(!texts.some((t) => /^\d+:\d\d$/.test(t.text)), "no time labels without progress");
    assert.ok(plain.body.includes("#0d1117"), "dark background");
  });

  test("art that cannot be had draws the placeholder, never an error", async () => {
    const cases: [string, string | null][] = [
      ["albFail00000000000000a", `${oddUrl}/html`],
      ["albFail00000000000000b", `${oddUrl}/svg`],
      ["albFail00000000000000c", `${oddUrl}/big`],
      ["albFail00000000000000d", `${oddUrl}/missing`],
      ["albFail00000000000000e", "http://127.0.0.1:1/refused.png"],
      ["albFail00000000000000f", "file:///etc/passwd"],
      ["albFail00000000000000g", "not a url"],
      ["albFail00000000000000h", null],
    ];
    for (const [albumId, image] of cases) {
      await setSnapshot({ item: item({ albumId, image }) });
      const { res, body } = await getSvg("/spotify/now-playing.svg");
      assert.equal(res.status, 200, String(image));
      checkSvg(body, String(image));
      assert.ok(!body.includes("<image"), `placeholder for ${image}`);
    }
    // A failure is remembered for a while: the next request does not try again.
    await setSnapshot({ item: item({ albumId: "albFail00000000000000d", image: `${oddUrl}/missing` }) });
    assert.ok(await app.deps.cache.get("art:albFail00000000000000d"));
  });

  test("a slow image gives up after about 1.5 s and still answers the card", async () => {
    await setSnapshot({ item: item({ albumId: "albSlow000000000000000", image: `${oddUrl}/slow` }) });
    const t0 = performance.now();
    const { res, body } = await getSvg("/spotify/now-playing.svg");
    const ms = performance.now() - t0;
    assert.equal(res.status, 200);
    assert.ok(!body.includes("<image"));
    assert.ok(ms >= 1400 && ms < 3000, `${ms} ms`);
    const t1 = performance.now();
    await getSvg("/spotify/now-playing.svg");
    assert.ok(performance.now() - t1 < 500, "the failure is cached");
  });

  test("hostile names come out as text in a valid SVG", async () => {
    const names = [
      "<script>alert(1)</script>",
      `${"M".repeat(15)}&amp;${"M".repeat(40)}`,
      "x".repeat(500),
      "👨‍👩‍👧‍👦🇯🇵🏳️‍🌈".repeat(20),
      "שלום עולם ".repeat(30),
      "",
      "\u202E\u0000\uD800]]></text><script>",
    ];
    for (const name of names) {
      await setSnapshot({
        item: item({ name, artists: [{ id: null, name }], album: { id: null, name, image_url: null } }),
        device: { id: null, name, type: name },
      });
      for (const theme of ["light", "dark"]) {
        const { res, body } = await getSvg(`/spotify/now-playing.svg?theme=${theme}`);
        assert.equal(res.status, 200);
        checkSvg(body, name.slice(0, 20));
      }
      assert.equal((await getJson()).title, name, "the JSON carries the name as is");
    }
  });
});

describe("invalid options are a 400 JSON naming the option, never a broken image", () => {
  const cases: [string, string][] = [
    ["/spotify/now-playing.svg?theme=neon", "query.theme"],
    ["/spotify/now-playing.svg?theme=dark&theme=light", "query.theme"],
    ["/spotify/now-playing.svg?width=-1", "query.width"],
    ["/spotify/now-playing.svg?width=abc", "query.width"],
    ["/spotify/now-playing.svg?width=480.5", "query.width"],
    ["/spotify/now-playing.svg?width=100000", "query.width"],
    ["/spotify/now-playing.svg?width=", "query.width"],
    ["/spotify/now-playing.svg?show_progress=maybe", "query.show_progress"],
    ["/spotify/now-playing.svg?art=2", "query.art"],
    ["/spotify/recently-played.svg?limit=0", "query.limit"],
    ["/spotify/recently-played.svg?limit=11", "query.limit"],
    ["/spotify/top-artists.svg?range=2w", "query.range"],
    ["/spotify/top-artists.svg?range=", "query.range"],
    ["/spotify/top-artists.svg?theme=%3Cscript%3E", "query.theme"],
  ];
  for (const [path, field] of cases) {
    test(path, async () => {
      const res = await fetch(`${app.url}${path}`);
      assert.equal(res.status, 400);
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
      const body = (await res.json()) as { error: string; fields?: { field: string }[] };
      assert.equal(body.error, "bad_request");
      assert.ok(
        body.fields?.some((f) => f.field === field),
        JSON.stringify(body),
      );
    });
  }

  test("unknown extra parameters (cache busters) are ignored", async () => {
    const { res, body } = await getSvg("/spotify/now-playing.svg?v=2&theme=dark");
    assert.equal(res.status, 200);
    checkSvg(body);
  });
});

describe("more cards", () => {
  test("recently-played: the last counted plays, newest first, skips left out, with art", async () => {
    const t = now();
    await record(
      item({ key: "rec0000000000000000001", name: "First", albumId: "albRec00000000000000001" }),
      t - 30 * 60_000,
    );
    await record(item({ key: "rec0000000000000000002", name: "Skipped" }), t - 20 * 60_000, false);
    await record(
      item({ key: "rec0000000000000000003", name: "Newest", albumId: "albRec00000000000000003" }),
      t - 5 * 60_000,
    );
    const apiBefore = apiCalls();
    const { res, body } = await getSvg("/spotify/recently-played.svg?limit=3&theme=dark");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "image/svg+xml; charset=utf-8");
    const titles = checkSvg(body).texts.map((t) => t.text);
    assert.deepEqual(
      titles.filter((x) => ["First", "Skipped", "Newest", "Strangers in the Night"].includes(x)),
      ["Newest", "Strangers in the Night", "First"],
    );
    assert.ok(titles.includes("5 min ago"));
    assert.ok(body.includes(PNG_DATA_URI));
    assert.equal(apiCalls(), apiBefore);
    const one = await getSvg("/spotify/recently-played.svg?limit=1&art=0");
    assert.ok(!one.body.includes("<image"));
    assert.ok(!checkSvg(one.body).texts.some((t) => t.text === "First"));
    const etag = one.res.headers.get("etag") ?? "";
    assert.equal(
      (await getSvg("/spotify/recently-played.svg?limit=1&art=0", { "if-none-match": etag })).res.status,
      304,
    );
  });

  test("top-artists: ranked by the statistics reader (day, month and year buckets), names from the aggregates", async () => {
    const t = now();
    const abba = [{ id: "artAbba000000000000001", name: "ABBA" }];
    const bjork = [{ id: "artBjork00000000000001", name: "Björk" }];
    for (let i = 0; i < 3; i++)
      await record(item({ key: `abb000000000000000000${i}`, artists: abba }), t - (i + 1) * 3_600_000);
    await record(item({ key: "bjo0000000000000000001", artists: bjork }), t - 2 * 86_400_000);
    await record(item({ key: "bjo0000000000000000002", artists: bjork }), t - 40 * 86_400_000);
    await record(item({ key: "bjo0000000000000000003", artists: bjork }), t - 41 * 86_400_000);
    await record(item({ key: "bjo0000000000000000004", artists: bjork }), t - 42 * 86_400_000);

    const week = await getSvg("/spotify/top-artists.svg?range=7d");
    assert.equal(week.res.status, 200);
    const weekTexts = checkSvg(week.body).texts.map((x) => x.text);
    const rank = (names: string[], texts: string[]) => texts.filter((x) => names.includes(x));
    assert.deepEqual(rank(["ABBA", "Björk"], weekTexts), ["ABBA", "Björk"]);
    assert.ok(weekTexts.includes("3 plays"));
    assert.ok(weekTexts.some((x) => x.includes("LAST 7 DAYS")));

    const all = await getSvg("/spotify/top-artists.svg?range=all&theme=dark&limit=10");
    assert.equal(all.res.status, 200);
    const allTexts = checkSvg(all.body).texts.map((x) => x.text);
    assert.deepEqual(rank(["ABBA", "Björk"], allTexts), ["Björk", "ABBA"]);
    assert.ok(allTexts.includes("4 plays"));
    for (const range of ["4w", "6m", "1y"]) {
      const r = await getSvg(`/spotify/top-artists.svg?range=${range}`);
      assert.equal(r.res.status, 200);
      checkSvg(r.body, range);
    }
  });
});
