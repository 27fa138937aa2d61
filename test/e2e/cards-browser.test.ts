import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { crc32, deflateSync } from "node:zlib";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { cacheKeys } from "#shared/cache/keys.ts";
import { recordListen } from "#shared/capture/record.ts";
import { themes } from "#shared/cards/themes.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import type { NowPlayingSnapshot } from "#shared/domain/tracker.ts";
import type { PlayableItem } from "#shared/spotify/types.ts";
import { startTestApp, type TestApp } from "#test/support/app.ts";
import { type FakeSpotify, startFakeSpotify } from "#test/support/fake-spotify.ts";
import { playOf } from "#test/support/plays.ts";
import { seeded } from "#test/support/rng.ts";

/**
 * The cards looked at by a real browser: Debian's Chromium (installed by .ci/run) shows each
 * card through an <img> on a local page, as GitHub does, and the screenshot is checked pixel
 * by pixel — the album art really is inside the SVG, the text really is drawn. The now-playing
 * and weekly-grid screenshots are kept in docs/ for the README.
 */

const CHROMIUM = "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const SCALE = 2;
const DOCS = fileURLToPath(new URL("../../docs/", import.meta.url));

const skip =
  !existsSync(CHROMIUM) && !process.env.CI
    ? `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to run the browser test; CI always runs it`
    : false;

/** A 64×64 RGB PNG: a diagonal gradient from pink (top left) to indigo (bottom right). */
function coverPng(): Buffer {
  const size = 64;
  const raw = Buffer.alloc((size * 3 + 1) * size);
  for (let y = 0; y < size; y++) {
    raw[y * (size * 3 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      const t = (x + y) / (2 * (size - 1));
      const o = y * (size * 3 + 1) + 1 + x * 3;
      raw[o] = Math.round(236 + (79 - 236) * t);
      raw[o + 1] = Math.round(72 + (70 - 72) * t);
      raw[o + 2] = Math.round(153 + (229 - 153) * t);
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

let app: TestApp;
let fake: FakeSpotify;
let pages: Server;
let pagesUrl: string;
let browser: BrowserContext | undefined;
let profile: string;

before(async () => {
  if (skip) return;
  app = await startTestApp();
  fake = await startFakeSpotify({ now: () => app.deps.clock().getTime() });
  const cover = coverPng();
  // The local page that embeds the cards (and serves the cover art the snapshot points at).
  pages = createServer((req, res) => {
    if (req.url === "/cover.png") return void res.writeHead(200, { "content-type": "image/png" }).end(cover);
    const q = new URL(req.url ?? "/", "http://x").searchParams;
    const src = `${app.url}${q.get("card") ?? ""}`;
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(
      `<!doctype html><meta charset="utf-8"><body style="margin:0"><img id="card" src="${src}" alt="card"></body>`,
    );
  });
  await new Promise<void>((ok) => pages.listen(0, "127.0.0.1", ok));
  pagesUrl = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;

  const now = app.deps.clock().getTime();
  const mira = { id: "artMira000000000000001", name: "Mira Sol" };
  const artists = [{ id: "artAurora0000000000001", name: "Aurora Park" }, mira];
  const item = (key: string, name: string, albumId: string, image: string): PlayableItem => ({
    key,
    kind: "track",
    name,
    uri: `spotify:track:${key}`,
    artists,
    album: { id: albumId, name: "Weather Systems", image_url: image },
    duration_ms: 225_000,
    url: `https://open.spotify.com/track/${key}`,
  });
  const snapshot: NowPlayingSnapshot = {
    item: item(
      "trkNorthern00000000001",
      "Northern Lights",
      "albWeather000000000001",
      `${pagesUrl}/cover.png`,
    ),
    is_playing: true,
    progress_ms: 83_000,
    observed_at: new Date(now).toISOString(),
    device: { id: "lap", name: "Laptop", type: "Computer" },
    context: null,
  };
  await app.deps.cache.set(cacheKeys.snapshot(OWNER_ID), snapshot);
  const names = ["Paper Planes", "Slow Tide", "Glasshouse"];
  for (const [i, name] of names.entries()) {
    const key = `trkRecent0000000000000${i}`;
    const albumId = `albRecent000000000000${i}`;
    const it = {
      ...item(key, name, albumId, `${fake.origin}/img/${albumId}-64.png`),
      artists: i === 2 ? [mira] : artists,
    };
    const ended = now - (i + 1) * 7 * 60_000;
    await recordListen(
      app.deps.store,
      {
        track_id: key,
        kind: "track",
        name,
        artists: i === 2 ? [mira] : artists,
        album_id: albumId,
        listened_at: new Date(ended - 225_000).toISOString(),
        ended_at: new Date(ended).toISOString(),
        listened_ms: 225_000,
        duration_ms: 225_000,
        counted: true,
        estimated: false,
        source: "poll",
        device_name: "Laptop",
        device_type: "Computer",
        context_type: null,
        context_uri: null,
        shuffle_state: null,
      },
      { ...it, track_id: key },
    );
  }
  for (const a of artists) {
    await app.deps.store.saveArtistMetadata({
      artist_id: a.id,
      name: a.name,
      genres: [],
      popularity: 50,
      image_url: `${fake.origin}/img/${a.id}-160.png`,
      synced_at: new Date(now).toISOString(),
    });
  }

  profile = mkdtempSync(join(tmpdir(), "hoardify-chromium-"));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    deviceScaleFactor: SCALE,
    viewport: { width: 900, height: 600 },
  });
});

after(async () => {
  if (skip) return;
  await browser?.close();
  rmSync(profile, { recursive: true, force: true });
  pages.closeAllConnections();
  pages.close();
  await fake.stop();
  await app.close();
});

interface Shot {
  png: Buffer;
  width: number;
  height: number;
  /** RGBA at card coordinates (CSS px). */
  at(x: number, y: number): [number, number, number, number];
}

/** Shows `card` through an <img>, screenshots it and reads the screenshot's pixels back. */
async function shoot(page: Page, card: string): Promise<Shot> {
  await page.goto(`${pagesUrl}/?card=${encodeURIComponent(card)}`);
  // Browser-side code as text: this project type-checks without the DOM library.
  await page.waitForFunction(
    'document.getElementById("card")?.complete === true && document.getElementById("card").naturalWidth > 0',
  );
  const png = await page.locator("#card").screenshot({ omitBackground: true });
  // Decode the screenshot in the page (a data: PNG never taints a canvas).
  const decoded = (await page.evaluate(`(async (b64) => {
    const img = new Image();
    img.src = "data:image/png;base64," + b64;
    await img.decode();
    const canvas = document.createElement("canvas");
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const ctx = canvas.getContext("2d");
    ctx.drawImage(img, 0, 0);
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let bin = "";
    for (let i = 0; i < data.length; i += 8192) bin += String.fromCharCode(...data.subarray(i, i + 8192));
    return { w: canvas.width, h: canvas.height, rgba: btoa(bin) };
  })(${JSON.stringify(png.toString("base64"))})`)) as { w: number; h: number; rgba: string };
  const rgba = Buffer.from(decoded.rgba, "base64");
  return {
    png,
    width: decoded.w / SCALE,
    height: decoded.h / SCALE,
    at(x, y) {
      const o = (Math.round(y * SCALE) * decoded.w + Math.round(x * SCALE)) * 4;
      return [rgba[o] ?? 0, rgba[o + 1] ?? 0, rgba[o + 2] ?? 0, rgba[o + 3] ?? 0];
    },
  };
}

const hex = (c: string): [number, number, number] => [
  Number.parseInt(c.slice(1, 3), 16),
  Number.parseInt(c.slice(3, 5), 16),
  Number.parseInt(c.slice(5, 7), 16),
];
const BG = { light: hex("#ffffff"), dark: hex("#0d1117") };
const dist = (a: readonly number[], b: readonly number[]) =>
  Math.max(
    Math.abs((a[0] ?? 0) - (b[0] ?? 0)),
    Math.abs((a[1] ?? 0) - (b[1] ?? 0)),
    Math.abs((a[2] ?? 0) - (b[2] ?? 0)),
  );

/** How many pixels in the box differ clearly from the background: drawn text has many. */
function inked(
  s: Shot,
  box: { x0: number; y0: number; x1: number; y1: number },
  bg: readonly number[],
): number {
  let n = 0;
  for (let y = box.y0; y < box.y1; y += 0.5)
    for (let x = box.x0; x < box.x1; x += 0.5) if (dist(s.at(x, y), bg) > 60) n++;
  return n;
}

/** Every pixel of the box passes `ok`. */
function every(
  s: Shot,
  box: { x0: number; y0: number; x1: number; y1: number },
  ok: (p: number[]) => boolean,
) {
  for (let y = box.y0; y < box.y1; y += 1)
    for (let x = box.x0; x < box.x1; x += 1) if (!ok(s.at(x, y))) return false;
  return true;
}

test("Chromium draws the now-playing card: art from the data URI, text, progress bar", {
  skip,
  timeout: 60_000,
}, async () => {
  assert.ok(browser);
  const page = await browser.newPage();
  mkdirSync(DOCS, { recursive: true });
  for (const theme of ["light", "dark"] as const) {
    const s = await shoot(page, `/spotify/now-playing.svg?theme=${theme}`);
    assert.equal(s.width, 480);
    assert.equal(s.height, 132);
    const bg = BG[theme];
    assert.ok(dist(s.at(300, 124), bg) <= 2, `${theme}: background ${s.at(300, 124)}`);
    // The cover is the pink→indigo gradient the snapshot points at (art box 16..116).
    const tl = s.at(24, 24);
    const br = s.at(108, 108);
    assert.ok(tl[0] > 190 && tl[1] < 110 && tl[2] > 120, `${theme}: pink top left ${tl}`);
    assert.ok(br[2] > 190 && br[0] < 130 && br[1] < 110, `${theme}: indigo bottom right ${br}`);
    // Title, artists and album lines are drawn (ink over the background), the gap between not.
    assert.ok(inked(s, { x0: 136, y0: 42, x1: 300, y1: 62 }, bg) > 400, `${theme}: title ink`);
    assert.ok(inked(s, { x0: 136, y0: 66, x1: 260, y1: 82 }, bg) > 200, `${theme}: artists ink`);
    assert.ok(inked(s, { x0: 136, y0: 86, x1: 240, y1: 100 }, bg) > 100, `${theme}: album ink`);
    assert.equal(inked(s, { x0: 136, y0: 63, x1: 460, y1: 66 }, bg), 0, `${theme}: blank between lines`);
    // The status line's equalizer and the filled part of the bar are Spotify green.
    const green = (p: number[]) => (p[1] ?? 0) > 150 && (p[0] ?? 0) < 100 && (p[2] ?? 0) < 130;
    assert.ok(green(s.at(141, 27)), `${theme}: equalizer ${s.at(141, 27)}`);
    assert.ok(green(s.at(180, 111)), `${theme}: progress fill ${s.at(180, 111)}`);
    assert.ok(!green(s.at(440, 111)), `${theme}: progress track unfilled at the end`);
    writeFileSync(join(DOCS, `now-playing-${theme}.png`), s.png);
  }
  await page.close();
});

test("Chromium draws the list cards: art per row, names, bars", { skip, timeout: 60_000 }, async () => {
  assert.ok(browser);
  const page = await browser.newPage();
  // The fake's image is a single half-transparent blue pixel, stretched over the art box.
  const blue = (p: number[]) => (p[2] ?? 0) - Math.max(p[0] ?? 0, p[1] ?? 0) > 80;
  for (const theme of ["light", "dark"] as const) {
    const bg = BG[theme];
    const recent = await shoot(page, `/spotify/recently-played.svg?theme=${theme}&limit=3`);
    assert.equal(recent.height, 44 + 3 * 46 + 8);
    for (let row = 0; row < 3; row++) {
      const y = 44 + row * 46;
      assert.ok(every(recent, { x0: 26, y0: y + 11, x1: 50, y1: y + 35 }, blue), `${theme}: row ${row} art`);
      assert.ok(
        inked(recent, { x0: 68, y0: y + 8, x1: 200, y1: y + 24 }, bg) > 150,
        `${theme}: row ${row} title`,
      );
      assert.ok(
        inked(recent, { x0: 380, y0: y + 8, x1: 460, y1: y + 24 }, bg) > 50,
        `${theme}: row ${row} time`,
      );
    }
    const top = await shoot(page, `/spotify/top-artists.svg?theme=${theme}&range=7d`);
    assert.equal(top.height, 44 + 2 * 44 + 8);
    for (let row = 0; row < 2; row++) {
      const y = 44 + row * 44;
      assert.ok(blue(top.at(58, y + 22)), `${theme}: artist ${row} picture ${top.at(58, y + 22)}`);
      assert.ok(
        inked(top, { x0: 86, y0: y + 6, x1: 180, y1: y + 22 }, bg) > 100,
        `${theme}: artist ${row} name`,
      );
    }
    // The leader's bar is full width; the runner-up's stops short.
    const accent = (p: number[]) => (p[1] ?? 0) > 150 && (p[0] ?? 0) < 100;
    assert.ok(accent(top.at(455, 44 + 30)), "leader's bar reaches the end");
    assert.ok(!accent(top.at(455, 88 + 30)), "runner-up's bar does not");
  }
  await page.close();
});

test("Chromium draws the weekly grid: every cell in the colour of its minutes", {
  skip,
  timeout: 60_000,
}, async () => {
  assert.ok(browser);
  // A public member's week (their own hoard: the owner's cards above stay as they are):
  // mornings and evenings, heavier at the weekend, from a fixed seed.
  const member = {
    listener_id: "mweekly001",
    handle: "weekly-h",
    role: "member" as const,
    spotify_id: "acct-weekly",
    display_name: "Weekly",
    created_at: "2026-11-01T00:00:00.000Z",
    last_seen_at: null,
    public: true,
  };
  assert.equal(await app.deps.household.addListener(member), "created");
  const store = app.deps.household.storeOf(member.listener_id);
  const r = seeded(15);
  const day0 = Date.parse("2026-11-15T00:00:00.000Z");
  for (let day = 0; day < 7; day++) {
    for (const hour of [7, 8, 12, 18, 19, 20, 21, 22]) {
      const n = r.int(0, day >= 5 ? 8 : 4);
      for (let k = 0; k < n; k++) {
        const t = {
          track_id: `trkWeek${day}${hour}${k}`,
          kind: "track" as const,
          name: "Week song",
          uri: `spotify:track:trkWeek${day}${hour}${k}`,
          artists: [{ id: "artWeek", name: "Week artist" }],
          album: null,
          duration_ms: 240_000,
        };
        const start = day0 + day * 86_400_000 + hour * 3_600_000 + k * 6 * 60_000;
        if (start < app.deps.clock().getTime()) await recordListen(store, playOf(t, start, 240_000, true), t);
      }
    }
  }
  const page = await browser.newPage();
  for (const theme of ["light", "dark"] as const) {
    const card = `/u/weekly-h/weekly-grid.svg?theme=${theme}`;
    const svg = await (await fetch(`${app.url}${card}`)).text();
    const cells = [
      ...svg.matchAll(
        /<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" rx="2" fill="(#[0-9a-f]{6})" data-minutes="(\d+)"\/>/g,
      ),
    ].map((m) => ({
      cx: Number(m[1]) + Number(m[3]) / 2,
      cy: Number(m[2]) + Number(m[4]) / 2,
      fill: m[5] as string,
      minutes: Number(m[6]),
    }));
    assert.equal(cells.length, 168);
    assert.ok(cells.filter((c) => c.minutes > 0).length > 20, "a week with listening in it");
    const s = await shoot(page, card);
    assert.equal(s.width, 480);
    for (const c of cells) {
      const px = s.at(c.cx, c.cy);
      assert.ok(dist(px, hex(c.fill)) <= 4, `${theme}: cell at ${c.cx},${c.cy} is ${px}, not ${c.fill}`);
      assert.equal(
        c.fill === themes[theme].track,
        c.minutes === 0,
        `${theme}: empty cells and only they are blank`,
      );
    }
    writeFileSync(join(DOCS, `weekly-grid-${theme}.png`), s.png);
  }
  await page.close();
});
