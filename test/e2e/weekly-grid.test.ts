import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { recordListen } from "#shared/capture/record.ts";
import { themes } from "#shared/cards/themes.ts";
import type { Listener } from "#shared/domain/listener.ts";
import type { TrackInfo } from "#shared/store/port.ts";
import { bearer, startTestApp, type TestApp } from "#test/support/app.ts";
import { playOf } from "#test/support/plays.ts";
import { checkSvg } from "#test/support/svg-check.ts";

/**
 * The weekly grid card through the local server: cells against seeded plays in a zone whose
 * local days straddle UTC days, skips left out, the cache, the options, and the /u/{handle}/
 * privacy gate. The test app's clock stands at Saturday 2026-11-21 12:00 UTC (13:00 in Paris).
 */

let app: TestApp;
before(async () => {
  app = await startTestApp();
});
after(() => app.close());

const track = (id: string): TrackInfo => ({
  track_id: id,
  kind: "track",
  name: `Song ${id}`,
  uri: `spotify:track:${id}`,
  artists: [{ id: `art-${id}`, name: `Artist ${id}` }],
  album: null,
  duration_ms: 300_000,
});

async function listen(store: TestApp["deps"]["store"], at: string, ms: number, counted = true) {
  const t = track(`grid${Date.parse(at)}`);
  await recordListen(store, playOf(t, Date.parse(at), ms, counted), t);
}

interface Cell {
  minutes: number;
  fill: string;
}

async function grid(path: string) {
  const res = await fetch(`${app.url}${path}`);
  const body = await res.text();
  return { res, body };
}

/** The 168 cells in order (oldest day first, hours 0–23), with the texts of the card. */
function cellsOf(svg: string): { cells: Cell[]; texts: string[] } {
  const texts = checkSvg(svg).texts.map((t) => t.text);
  const cells = [...svg.matchAll(/<rect [^>]*fill="(#[0-9a-f]{6})" data-minutes="(\d+)"\/>/g)].map((m) => ({
    fill: m[1] as string,
    minutes: Number(m[2]),
  }));
  return { cells, texts };
}

const at = (cells: Cell[], row: number, hour: number) => cells[row * 24 + hour] as Cell;

describe("the owner's weekly grid", () => {
  before(async () => {
    const store = app.deps.store;
    // Paris is UTC+1 in November. Rows: Sun 15 … Sat 21 (today).
    await listen(store, "2026-11-14T22:30:00.000Z", 600_000); // Sat 14 23:30 Paris: the day before the grid
    await listen(store, "2026-11-14T23:30:00.000Z", 240_000); // Sun 15 00:30 Paris, a UTC day earlier
    await listen(store, "2026-11-18T19:50:00.000Z", 240_000); // Wed 18 20:50 Paris
    await listen(store, "2026-11-18T19:55:00.000Z", 240_000); // Wed 18 20:55 Paris: same cell
    await listen(store, "2026-11-19T08:00:00.000Z", 10_000, false); // a skip: no minutes
    await listen(store, "2026-11-21T10:05:00.000Z", 180_000); // Sat 21 11:05 Paris (today)
  });

  test("each cell holds the minutes of the plays that started in that local hour", async () => {
    const { res, body } = await grid("/spotify/weekly-grid.svg?tz=Europe/Paris");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "image/svg+xml; charset=utf-8");
    assert.equal(res.headers.get("cache-control"), "no-cache");
    const { cells, texts } = cellsOf(body);
    assert.equal(cells.length, 7 * 24);
    assert.equal(at(cells, 0, 0).minutes, 4, "Sun 15 00:00 (UTC: Sat 14 23:30)");
    assert.equal(at(cells, 3, 20).minutes, 8, "Wed 18 20:00: two plays");
    assert.equal(at(cells, 4, 9).minutes, 0, "the skip counts nothing");
    assert.equal(at(cells, 6, 11).minutes, 3, "today 11:00");
    assert.equal(
      cells.reduce((n, c) => n + c.minutes, 0),
      15,
      "nothing else, and not the play before the first local day",
    );
    // Colours: the busiest cell is the darkest level, 3 of 8 minutes the second, empty ones the track.
    const theme = themes.light;
    assert.equal(at(cells, 3, 20).fill, theme.levels[3]);
    assert.equal(at(cells, 6, 11).fill, theme.levels[1]);
    assert.equal(at(cells, 2, 2).fill, theme.track);
    assert.deepEqual(
      texts.filter((t) => /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) \d+$/.test(t)),
      ["Sun 15", "Mon 16", "Tue 17", "Wed 18", "Thu 19", "Fri 20", "Sat 21"],
    );
    assert.ok(texts.includes("15 min"), "the week's total");
    assert.ok(texts.includes("Busiest hour: Wed 20:00 · 8 min"), texts.join(" | "));
    assert.ok(texts.includes("Europe/Paris"));
  });

  test("in UTC the same plays fall on other days and hours", async () => {
    const { cells } = cellsOf((await grid("/spotify/weekly-grid.svg?theme=dark&width=800")).body);
    // UTC rows: Sun 15 … Sat 21; the 22:30 and 23:30 plays of Sat 14 fall before the grid.
    assert.equal(at(cells, 3, 19).minutes, 8);
    assert.equal(at(cells, 6, 10).minutes, 3);
    assert.equal(
      cells.reduce((n, c) => n + c.minutes, 0),
      11,
    );
    assert.equal(at(cells, 3, 19).fill, themes.dark.levels[3]);
  });

  test("kept a few minutes per local day, then read again; 304 while unchanged", async () => {
    const path = "/spotify/weekly-grid.svg?tz=Asia/Kolkata";
    const first = await grid(path);
    const etag = first.res.headers.get("etag") ?? "";
    assert.ok(etag);
    await listen(app.deps.store, "2026-11-21T11:00:00.000Z", 120_000);
    const kept = await grid(path);
    assert.equal(kept.body, first.body, "the kept grid answers");
    const revalidated = await fetch(`${app.url}${path}`, { headers: { "if-none-match": etag } });
    assert.equal(revalidated.status, 304);
    app.advance(11 * 60_000);
    const fresh = cellsOf((await grid(path)).body).cells;
    // 11:00 UTC is 16:30 in Kolkata.
    assert.equal(at(fresh, 6, 16).minutes, 2);
  });

  test("POST /admin/clear-cache forgets the kept grids", async () => {
    const path = "/spotify/weekly-grid.svg?tz=America/New_York";
    const before = cellsOf((await grid(path)).body).cells;
    await listen(app.deps.store, "2026-11-21T11:30:00.000Z", 300_000); // 06:30 in New York
    assert.deepEqual(cellsOf((await grid(path)).body).cells, before, "kept");
    const cleared = await fetch(`${app.url}/admin/clear-cache`, {
      method: "POST",
      headers: { authorization: `Bearer ${await bearer(app)}` },
    });
    assert.equal(cleared.status, 200);
    assert.ok(((await cleared.json()) as { cleared: number }).cleared >= 1);
    assert.equal(at(cellsOf((await grid(path)).body).cells, 6, 6).minutes, 5 + at(before, 6, 6).minutes);
  });

  test("bad options are a 400 JSON naming the option", async () => {
    for (const [query, field] of [
      ["tz=Mars/Olympus", "query.tz"],
      ["tz=%3Cscript%3E", "query.tz"],
      ["tz=", "query.tz"],
      ["tz=%2B05:30", "query.tz"],
      ["theme=neon", "query.theme"],
      ["width=299", "query.width"],
      ["width=1e9", "query.width"],
    ] as const) {
      const res = await fetch(`${app.url}/spotify/weekly-grid.svg?${query}`);
      assert.equal(res.status, 400, query);
      assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
      const body = (await res.json()) as { error: string; fields?: { field: string }[] };
      assert.equal(body.error, "bad_request");
      assert.ok(
        body.fields?.some((f) => f.field === field),
        `${query}: ${JSON.stringify(body)}`,
      );
    }
  });
});

describe("a listener's weekly grid at /u/{handle}/", () => {
  const member: Listener = {
    listener_id: "mgrid00001",
    handle: "grid-h",
    role: "member",
    spotify_id: "acct-grid",
    display_name: "Grid",
    created_at: "2026-11-01T00:00:00.000Z",
    last_seen_at: null,
    public: false,
  };

  test("private: a 404 JSON like nobody's; public: their grid, not the owner's", async () => {
    assert.equal(await app.deps.household.addListener(member), "created");
    await listen(app.deps.household.storeOf(member.listener_id), "2026-11-20T07:10:00.000Z", 420_000);
    const hidden = await fetch(`${app.url}/u/grid-h/weekly-grid.svg`);
    assert.equal(hidden.status, 404);
    assert.match(hidden.headers.get("content-type") ?? "", /^application\/json/);
    assert.equal((await fetch(`${app.url}/u/nobody-h/weekly-grid.svg`)).status, 404);

    await app.deps.household.update(member.listener_id, { public: true });
    const { res, body } = await grid("/u/grid-h/weekly-grid.svg?tz=UTC");
    assert.equal(res.status, 200);
    const { cells } = cellsOf(body);
    assert.equal(at(cells, 5, 7).minutes, 7, "their Friday 07:00");
    assert.equal(
      cells.reduce((n, c) => n + c.minutes, 0),
      7,
      "none of the owner's minutes",
    );
  });
});
