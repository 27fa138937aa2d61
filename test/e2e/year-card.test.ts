import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { recordListen } from "#shared/capture/record.ts";
import type { Listener } from "#shared/domain/listener.ts";
import type { TrackInfo } from "#shared/store/port.ts";
import { bearer, startTestApp, type TestApp } from "#test/support/app.ts";
import { playOf } from "#test/support/plays.ts";
import { checkSvg } from "#test/support/svg-check.ts";

/**
 * The year-in-review card: its opt-in (a setting of PATCH /me, off by default), its numbers
 * against GET /stats/year's, the closed and the running year, the /u/{handle}/ gate, bad years.
 * The test app's clock stands at 2026-11-21 12:00 UTC.
 */

let app: TestApp;
let token: string;
before(async () => {
  app = await startTestApp();
  token = await bearer(app);
});
after(() => app.close());

const me = (init: RequestInit = {}) =>
  fetch(`${app.url}/me`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers },
  });

test("PATCH /me turns the year card on and off; it is off by default; an empty patch is a 422", async () => {
  const initial = (await (await me()).json()) as { year_card: boolean; public: boolean };
  assert.equal(initial.year_card, false);
  const on = await me({ method: "PATCH", body: JSON.stringify({ year_card: true }) });
  assert.equal(on.status, 200);
  const body = (await on.json()) as { year_card: boolean; public: boolean };
  assert.equal(body.year_card, true);
  assert.equal(body.public, initial.public, "the other setting is left as it was");
  assert.equal(((await (await me()).json()) as { year_card: boolean }).year_card, true);
  const off = await me({ method: "PATCH", body: JSON.stringify({ year_card: false }) });
  assert.equal(((await off.json()) as { year_card: boolean }).year_card, false);

  for (const bad of [{}, { year_card: "yes" }, { year_card: true, other: 1 }]) {
    const res = await me({ method: "PATCH", body: JSON.stringify(bad) });
    assert.equal(res.status, 422, JSON.stringify(bad));
    const err = (await res.json()) as { error: string; message: string };
    assert.ok(err.message.length > 0);
  }
});

const track = (id: string, artist: string): TrackInfo => ({
  track_id: id,
  kind: "track",
  name: `Song ${id}`,
  uri: `spotify:track:${id}`,
  artists: [{ id: `art-${artist}`, name: artist }],
  album: { id: `alb-${artist}`, name: `Album of ${artist}`, image_url: null },
  duration_ms: 240_000,
});

async function listen(store: TestApp["deps"]["store"], t: TrackInfo, at: string, ms = 200_000) {
  await recordListen(store, playOf(t, Date.parse(at), ms, true), t);
}

const svgTexts = async (path: string) => {
  const res = await fetch(`${app.url}${path}`);
  const body = await res.text();
  assert.equal(res.status, 200, `${path}: ${body.slice(0, 200)}`);
  return checkSvg(body).texts.map((t) => t.text);
};

interface Year {
  minutes: number;
  plays: number;
  new_artists: { count: number };
  top: { artists: { name: string }[]; tracks: { name: string }[] };
  top_month: { month: string } | null;
  longest_streak: { days: number } | null;
}

test("the owner's card: 404 until shared, then the year's numbers as GET /stats/year has them", async () => {
  const store = app.deps.store;
  const a = track("ya1", "Aurora Park");
  const b = track("yb1", "Mira Sol");
  await listen(store, b, "2025-06-01T10:00:00.000Z");
  for (const day of ["2026-03-02", "2026-03-03", "2026-03-04"])
    await listen(store, a, `${day}T20:00:00.000Z`);
  await listen(store, b, "2026-07-10T08:00:00.000Z", 180_000);

  const path = "/spotify/year/2026.svg";
  const hidden = await fetch(`${app.url}${path}`);
  assert.equal(hidden.status, 404);
  assert.match(hidden.headers.get("content-type") ?? "", /^application\/json/);
  await me({ method: "PATCH", body: JSON.stringify({ year_card: true }) });

  const texts = await svgTexts(`${path}?theme=dark`);
  const year = (await (
    await fetch(`${app.url}/stats/year?year=2026`, { headers: { authorization: `Bearer ${token}` } })
  ).json()) as Year;
  assert.equal(year.plays, 4);
  assert.ok(texts.includes("MY 2026 IN MUSIC · SO FAR"), texts.join(" | "));
  assert.ok(texts.includes(year.minutes.toLocaleString("en-US")), `minutes ${year.minutes}`);
  assert.ok(texts.includes(String(year.plays)));
  assert.ok(texts.includes(String(year.new_artists.count)), "Aurora Park is new in 2026");
  assert.equal(year.new_artists.count, 1);
  assert.ok(texts.includes(year.top.artists[0]?.name ?? "?"), "Aurora Park tops 2026");
  assert.ok(texts.some((t) => t.startsWith(year.top.tracks[0]?.name ?? "?")));
  assert.equal(year.top_month?.month, "2026-03");
  assert.equal(year.longest_streak?.days, 3);
  assert.ok(texts.includes("Busiest month: March · Longest streak: 3 days"), texts.join(" | "));

  const closed = await svgTexts("/spotify/year/2025.svg");
  assert.ok(closed.includes("MY 2025 IN MUSIC"));
  assert.ok(closed.includes("Mira Sol"));
});

test("kept: a new listen shows once the kept numbers are cleared", async () => {
  await listen(app.deps.store, track("yc1", "Cleo"), "2026-11-21T09:00:00.000Z");
  const kept = await svgTexts("/spotify/year/2026.svg");
  assert.ok(kept.includes("4"), "still the kept 4 plays");
  const cleared = await fetch(`${app.url}/admin/clear-cache`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(cleared.status, 200);
  assert.ok((await svgTexts("/spotify/year/2026.svg")).includes("5"));
});

test("bad years are a 400 naming the path; a year not begun is a 404", async () => {
  for (const file of ["2026", "abc.svg", "2007.svg", "20266.svg", "2026.png"]) {
    const res = await fetch(`${app.url}/spotify/year/${file}`);
    assert.equal(res.status, 400, file);
    const body = (await res.json()) as { fields?: { field: string }[] };
    assert.ok(
      body.fields?.some((f) => f.field === "path.file"),
      `${file}: ${JSON.stringify(body)}`,
    );
  }
  assert.equal((await fetch(`${app.url}/spotify/year/2030.svg`)).status, 404);
  assert.equal((await fetch(`${app.url}/spotify/year/2026.svg?tz=Mars/Olympus`)).status, 400);
});

test("a member's card needs both their public cards and their year card", async () => {
  const member: Listener = {
    listener_id: "myear00001",
    handle: "year-h",
    role: "member",
    spotify_id: "acct-year",
    display_name: "Year",
    created_at: "2026-01-01T00:00:00.000Z",
    last_seen_at: null,
    public: false,
  };
  assert.equal(await app.deps.household.addListener(member), "created");
  await listen(
    app.deps.household.storeOf(member.listener_id),
    track("ym1", "Member Band"),
    "2026-05-05T05:05:00.000Z",
  );
  const card = () => fetch(`${app.url}/u/year-h/year/2026.svg`);
  assert.equal((await card()).status, 404, "private, not shared");
  await app.deps.household.update(member.listener_id, { year_card: true });
  assert.equal((await card()).status, 404, "shared, but their cards are private");
  await app.deps.household.update(member.listener_id, { public: true, year_card: false });
  assert.equal((await card()).status, 404, "public cards, year card not shared");
  await app.deps.household.update(member.listener_id, { year_card: true });
  const texts = await svgTexts("/u/year-h/year/2026.svg");
  assert.ok(texts.includes("Member Band"));
  assert.ok(!texts.includes("Aurora Park"), "not the owner's year");
});
