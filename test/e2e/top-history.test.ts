import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { JOB_TOP_HISTORY, TOP_LISTS } from "#shared/spotify/top-history.ts";
import { bearer, startTestApp, type TestApp } from "#test/support/app.ts";
import { linkSpotify } from "#test/support/capture.ts";
import {
  album,
  appEnvFor,
  artist,
  type FakeSpotify,
  startFakeSpotify,
  track,
} from "#test/support/fake-spotify.ts";

/**
 * The history of Spotify's top lists over three simulated days: the hourly job (as EventBridge
 * runs it) stores each list once per UTC day from the fake Spotify over HTTP, and GET /history
 * lists the snapshots newest first with what moved against the day before.
 */

const DAY = 86_400_000;
const T0 = Date.parse("2026-11-21T12:00:00.000Z");
let app: TestApp | undefined;
let fake: FakeSpotify;

const the = () => app ?? assert.fail("app not started");
const topCalls = () => fake.calls.filter((c) => c.path.startsWith("/v1/me/top/"));

const band = artist({ name: "Band", genres: ["shoegaze"] });
const other = artist({ name: "Other", genres: [] });
const record = album({ name: "Record", artists: [band] });
const a = track({ name: "A", album: record });
const b = track({ name: "B", album: record });
const c = track({ name: "C", album: record });
const d = track({ name: "D", album: record });

interface Snapshot {
  day: string;
  previous_day: string | null;
  total: number;
  items: {
    rank: number;
    id: string;
    name: string;
    detail: string[];
    previous_rank: number | null;
    move: string | null;
    by: number;
  }[];
  dropped: { id: string; name: string; previous_rank: number }[];
  moves: { new: number; dropped: number; up: number; down: number; same: number } | null;
}
interface History {
  type: string;
  range: string;
  snapshots: Snapshot[];
}

async function history(query: string): Promise<History> {
  const res = await fetch(`${the().url}/history${query}`, {
    headers: { authorization: `Bearer ${await bearer(the())}` },
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as History;
}

async function hourly() {
  const { handler } = await import("#functions/hourly.ts");
  return handler();
}

const ids = (t: (typeof a)[]) => t.map((x) => x.id ?? assert.fail("no id"));

before(async () => {
  fake = await startFakeSpotify({ now: () => app?.deps.clock().getTime() ?? T0 });
  app = await startTestApp({ ...appEnvFor(fake) });
  fake.catalog.add(band, other, a, b, c, d);
  await linkSpotify(the().deps.store, fake, the().deps.clock());
});
after(async () => {
  await app?.close();
  await fake.stop();
});

describe("GET /history", () => {
  test("nothing stored yet: no snapshots", async () => {
    const body = await history("?range=short_term");
    assert.deepEqual(body, { type: "tracks", range: "short_term", snapshots: [] });
  });

  test("day 1: the hourly job stores every list once; later hours ask Spotify nothing", async () => {
    fake.setTop("tracks", ids([a, b, c]));
    const out = (await hourly()) as { top_history: { day: string; stored: number; kept: number } };
    assert.deepEqual(out.top_history, { day: "2026-11-21", stored: TOP_LISTS.length, kept: 0 });
    assert.equal(topCalls().length, TOP_LISTS.length, "one call per (type, window)");
    for (const call of topCalls()) assert.match(call.query ?? "", /limit=50/);

    // Spotify's list changes later that day: the day keeps its first snapshot.
    fake.setTop("tracks", ids([d, c]));
    the().advance(3_600_000);
    const again = (await hourly()) as { top_history: { stored: number; kept: number } };
    assert.deepEqual([again.top_history.stored, again.top_history.kept], [0, TOP_LISTS.length]);
    assert.equal(topCalls().length, TOP_LISTS.length, "Spotify was not asked again that day");
    const [run] = await the().deps.store.listJobRuns(JOB_TOP_HISTORY, 1);
    assert.equal(run?.ok, true);

    const body = await history("?range=short_term&type=tracks");
    assert.equal(body.snapshots.length, 1);
    const [first] = body.snapshots;
    assert.equal(first?.day, "2026-11-21");
    assert.equal(first?.previous_day, null);
    assert.equal(first?.moves, null, "nothing to compare the first snapshot with");
    assert.deepEqual(
      first?.items.map((i) => [i.rank, i.name, i.move]),
      [
        [1, "A", null],
        [2, "B", null],
        [3, "C", null],
      ],
    );
    assert.deepEqual(first?.items[0]?.detail, ["Band"], "a track's artists");
  });

  test("days 2 and 3: new, dropped, up and down by n, newest first", async () => {
    the().advance(DAY);
    fake.setTop("tracks", ids([c, a, d]));
    await hourly();
    the().advance(DAY);
    fake.setTop("tracks", ids([c, d, a]));
    await hourly();

    const body = await history("?range=short_term");
    assert.deepEqual(
      body.snapshots.map((s) => [s.day, s.previous_day]),
      [
        ["2026-11-23", "2026-11-22"],
        ["2026-11-22", "2026-11-21"],
        ["2026-11-21", null],
      ],
    );
    const [day3, day2] = body.snapshots;
    assert.deepEqual(
      day2?.items.map((i) => [i.name, i.move, i.by, i.previous_rank]),
      [
        ["C", "up", 2, 3],
        ["A", "down", 1, 1],
        ["D", "new", 0, null],
      ],
    );
    assert.deepEqual(
      day2?.dropped.map((x) => [x.name, x.previous_rank]),
      [["B", 2]],
    );
    assert.deepEqual(day2?.moves, { new: 1, dropped: 1, up: 1, down: 1, same: 0 });
    assert.deepEqual(
      day3?.items.map((i) => [i.name, i.move, i.by]),
      [
        ["C", "same", 0],
        ["D", "up", 1],
        ["A", "down", 1],
      ],
    );
    assert.deepEqual(day3?.dropped, []);
  });

  test("from, to and limit choose the days; the oldest listed is still compared with the day before", async () => {
    const window = await history("?range=short_term&from=2026-11-22&to=2026-11-22");
    assert.deepEqual(
      window.snapshots.map((s) => [s.day, s.previous_day, s.moves?.new]),
      [["2026-11-22", "2026-11-21", 1]],
    );
    const newest = await history("?range=short_term&limit=1");
    assert.deepEqual(
      newest.snapshots.map((s) => [s.day, s.previous_day]),
      [["2026-11-23", "2026-11-22"]],
    );
    const upTo = await history("?range=short_term&to=2026-11-21");
    assert.deepEqual(
      upTo.snapshots.map((s) => s.day),
      ["2026-11-21"],
    );
  });

  test("every window and type is kept apart: artists carry their genres", async () => {
    const artists = await history("?range=long_term&type=artists");
    assert.equal(artists.type, "artists");
    assert.equal(artists.snapshots.length, 3);
    const latest = artists.snapshots[0];
    assert.deepEqual(
      latest?.items.map((i) => [i.name, i.detail, i.move]),
      [
        ["Band", ["shoegaze"], "same"],
        ["Other", [], "same"],
      ],
    );
  });

  test("bad parameters are a 400 naming them; no token is a 401", async () => {
    const res = await fetch(`${the().url}/history?range=forever&type=albums&from=2026-11-23&to=2026-11-22`, {
      headers: { authorization: `Bearer ${await bearer(the())}` },
    });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { fields: { field: string }[] };
    assert.deepEqual(body.fields.map((f) => f.field).sort(), ["query.range", "query.type"]);
    const order = await fetch(`${the().url}/history?from=2026-11-23&to=2026-11-22`, {
      headers: { authorization: `Bearer ${await bearer(the())}` },
    });
    assert.equal(order.status, 400);
    assert.deepEqual(
      ((await order.json()) as { fields: { field: string }[] }).fields.map((f) => f.field),
      ["query.to"],
    );
    assert.equal((await fetch(`${the().url}/history`)).status, 401);
  });
});
