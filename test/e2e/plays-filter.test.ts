import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { recordListen } from "#shared/capture/record.ts";
import type { Play } from "#shared/domain/entities.ts";
import { listPlaysFiltered, type PlayFilters } from "#shared/history/plays.ts";
import type { Store } from "#shared/store/port.ts";
import { bearer, startTestApp, type TestApp } from "#test/support/app.ts";
import { generatePlays } from "#test/support/plays.ts";

/**
 * GET /plays with filters, paged to the end, equals the brute force over the seeded plays:
 * the same plays, newest first, each once, whatever the filters and the page size.
 */

type ErrorBody = { error: string; fields?: { field: string }[] };

const NOW = Date.parse("2026-11-21T12:00:00.000Z"); // the test app's clock
const generated = generatePlays({ count: 160, seed: 41, now: NOW, spanDays: 500 });
const plays = generated.map((g) => g.play);
const keyOf = (p: Pick<Play, "listened_at" | "track_id">) => `${p.listened_at}#${p.track_id}`;

function expected(f: PlayFilters): string[] {
  return plays
    .filter(
      (p) =>
        (f.from === undefined || p.listened_at >= f.from) &&
        (f.to === undefined || p.listened_at < f.to) &&
        (f.track_id === undefined || p.track_id === f.track_id) &&
        (f.artist_id === undefined || p.artists.some((a) => a.id === f.artist_id)) &&
        (f.counted === undefined || p.counted === f.counted),
    )
    .map(keyOf)
    .sort()
    .reverse();
}

let app: TestApp;
let token: string;
before(async () => {
  app = await startTestApp();
  token = await bearer(app);
  for (const g of generated) await recordListen(app.deps.store, g.play, g.track);
});
after(() => app.close());

const get = (query: string) =>
  fetch(`${app.url}/plays?${query}`, { headers: { authorization: `Bearer ${token}` } });

/** Every page of one listing, following next_cursor to its end. */
async function walk(query: string, limit: number): Promise<{ keys: string[]; pages: number }> {
  const keys: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await get(`${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    assert.equal(res.status, 200, `${query}: ${await res.clone().text()}`);
    const body = (await res.json()) as { items: Play[]; next_cursor: string | null };
    assert.ok(body.items.length <= limit, `${query}: a page holds at most limit`);
    keys.push(...body.items.map(keyOf));
    cursor = body.next_cursor;
    pages++;
    assert.ok(pages < 200, `${query}: the cursor ends`);
  } while (cursor);
  return { keys, pages };
}

const query = (f: PlayFilters) =>
  new URLSearchParams(
    Object.entries(f).flatMap(([k, v]) => (v === undefined ? [] : [[k, String(v)] as [string, string]])),
  ).toString();

describe("GET /plays filters", () => {
  const busiestTrack = (() => {
    const n = new Map<string, number>();
    for (const p of plays) n.set(p.track_id, (n.get(p.track_id) ?? 0) + 1);
    return [...n].sort((a, b) => b[1] - a[1])[0]?.[0] as string;
  })();
  const CASES: PlayFilters[] = [
    {},
    { counted: true },
    { counted: false },
    { track_id: busiestTrack },
    { track_id: busiestTrack, counted: false },
    { artist_id: "ar3" },
    { artist_id: "ar3", counted: true, from: "2026-01-01T00:00:00.000Z", to: "2026-11-01T00:00:00.000Z" },
    { artist_id: "ar5", track_id: busiestTrack },
    { from: "2025-12-31T00:00:00.000Z", to: "2026-01-02T00:00:00.000Z", counted: true },
    { track_id: "never-played" },
  ];

  test("the seeded history gives every filter something to find (or nothing, on purpose)", () => {
    assert.ok(expected({ track_id: busiestTrack, counted: false }).length > 0);
    assert.ok(expected({ artist_id: "ar3", counted: true, from: "2026-01-01T00:00:00.000Z" }).length > 3);
    assert.ok(expected({ counted: false }).length > 10);
  });

  for (const f of CASES) {
    test(`paging through ${query(f) || "no filter"} equals the brute force`, async () => {
      const want = expected(f);
      for (const limit of [7, 500]) {
        const { keys, pages } = await walk(query(f), limit);
        assert.deepEqual(keys, want, `limit ${limit}`);
        if (limit === 7 && want.length > 14) assert.ok(pages >= 3);
      }
    });
  }

  test("the work per page is bounded: past it a page ends early, its cursor carries on", async () => {
    const reads: number[] = [];
    const watched: Store = {
      ...app.deps.store,
      listPlays: async (q) => {
        const page = await app.deps.store.listPlays(q);
        reads.push(page.items.length);
        return page;
      },
    };
    const f: PlayFilters = { track_id: busiestTrack, counted: false };
    const opts = { listener: app.deps.listener, cursorSecret: "s".repeat(32), maxScanned: 10 };
    const got: string[] = [];
    let cursor: string | undefined;
    let short = 0;
    let calls = 0;
    do {
      reads.length = 0;
      const page = await listPlaysFiltered(watched, opts, { ...f, limit: 5, cursor });
      // At most the budget, plus the play the cursor names (read again, dropped).
      assert.ok(reads.reduce((a, b) => a + b, 0) <= 11, `one page read ${reads.join("+")} plays`);
      if (page.items.length < 5 && page.next_cursor) short++;
      got.push(...page.items.map(keyOf));
      cursor = page.next_cursor ?? undefined;
      assert.ok(++calls < 100);
    } while (cursor);
    assert.deepEqual(got, expected(f));
    assert.ok(short > 0, "some pages ended early on the budget with a cursor");
  });

  test("bad filters and a cursor of another listing are 400s naming the field", async () => {
    for (const [q, field] of [
      ["counted=maybe", "query.counted"],
      ["track_id=", "query.track_id"],
      ["artist_id=", "query.artist_id"],
    ] as const) {
      const res = await get(q);
      assert.equal(res.status, 400, q);
      assert.deepEqual(
        ((await res.json()) as ErrorBody).fields?.map((x) => x.field),
        [field],
        q,
      );
    }
    const first = (await (await get("counted=true&limit=2")).json()) as { next_cursor: string };
    assert.ok(first.next_cursor);
    for (const other of ["counted=false", `counted=true&track_id=${busiestTrack}`, ""]) {
      const res = await get(`${other}&limit=2&cursor=${encodeURIComponent(first.next_cursor)}`);
      assert.equal(res.status, 400, other);
      assert.equal(((await res.json()) as ErrorBody).fields?.[0]?.field, "query.cursor");
    }
  });
});
