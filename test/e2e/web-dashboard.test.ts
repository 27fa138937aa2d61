import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { TEST_PASSWORD } from "#test/support/app.ts";
import { browserSkip, type Dashboard, until, type WatchedPage } from "#test/support/browser.ts";
import { type Seeded, type SeededDashboard, startSeededDashboard } from "#test/support/web-seed.ts";

/**
 * The dashboard in Chromium against `npm start` with a seeded hoard: signing in, the overview's
 * figures against the API as the range changes, the history's infinite scroll and delete,
 * keyboard navigation, axe-core on each page, and the screenshots the README shows.
 */

const TZ = "Europe/Paris";
let dash: Dashboard;
let seeded: Seeded;

let apiJson: SeededDashboard["apiJson"];

const statText = (tab: WatchedPage, key: string) => tab.page.locator(`dd[data-stat="${key}"]`).textContent();
const digits = (s: string | null) => Number((s ?? "").replace(/\D/g, ""));

before(async () => {
  if (browserSkip) return;
  ({ dash, seeded, apiJson } = await startSeededDashboard());
});
after(async () => {
  await dash?.close();
});

describe("the dashboard in a browser", { skip: browserSkip }, () => {
  test("signing in: a wrong password says so, the right one opens the page that asked", async () => {
    const tab = await dash.open("/app/history");
    // Before signing in, GET /me answers 401 (that is how the app knows), and so does the wrong password.
    tab.allow(401, /\/me$/);
    tab.allow(401, /\/login$/);
    const { page } = tab;
    await page.waitForURL(/\/app\/signin\?next=%2Fapp%2Fhistory$/);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("alert").filter({ hasText: "incorrect username or password" }).waitFor();
    await tab.checkA11y();
    await page.getByLabel("Password").fill(TEST_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/app\/history$/);
    await page.getByRole("heading", { name: "History", level: 1 }).waitFor();
    await page.getByRole("navigation", { name: "Pages" }).waitFor();
    // The session is an httpOnly cookie: script cannot read it.
    assert.equal(await page.evaluate("document.cookie"), "");
    const cookies = await tab.context.cookies();
    assert.ok(cookies.some((c) => c.name === "hoardify_session" && c.httpOnly && c.sameSite === "Lax"));
    // Signing out ends the session: the next private page asks to sign in again.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/app\/signin$/);
    tab.assertClean();
    await tab.close();
  });

  test("the overview's figures follow the range picker and match the API", async () => {
    const tab = await dash.open("/app/overview?range=all", { signedIn: true, timezoneId: TZ });
    const { page } = tab;
    type Summary = { plays: number; distinct_tracks: number };
    for (const [label, range] of [
      ["All time", "all"],
      ["7 days", "7d"],
      ["6 months", "6m"],
    ] as const) {
      if (range !== "all") await page.getByRole("button", { name: label, exact: true }).click();
      await page.waitForURL(new RegExp(`range=${range}`));
      const api = await apiJson<Summary>(`/stats/summary?range=${range}&tz=${encodeURIComponent(TZ)}`);
      await until(
        async () =>
          digits(await statText(tab, "plays")) === api.plays &&
          digits(await statText(tab, "tracks")) === api.distinct_tracks,
        `${range}: ${api.plays} plays, ${api.distinct_tracks} tracks shown`,
      );
    }
    const all = await apiJson<Summary>(`/stats/summary?range=all&tz=${encodeURIComponent(TZ)}`);
    const week = await apiJson<Summary>(`/stats/summary?range=7d&tz=${encodeURIComponent(TZ)}`);
    assert.ok(all.plays > week.plays && week.plays > 0, "the seed gives the ranges different figures");

    // A custom period, in local dates of the browser's zone.
    await page.getByRole("button", { name: "Custom" }).click();
    await page.getByLabel("From", { exact: true }).fill("2026-01-01");
    await page.getByLabel("To", { exact: true }).fill("2026-03-31");
    await page.getByRole("button", { name: "Show" }).click();
    await page.waitForURL(/from=2026-01-01&to=2026-03-31/);
    const custom = await apiJson<Summary>(
      `/stats/summary?from=2026-01-01&to=2026-03-31&tz=${encodeURIComponent(TZ)}`,
    );
    await until(
      async () => digits(await statText(tab, "plays")) === custom.plays,
      `custom: ${custom.plays} plays`,
    );

    // Now playing is live: the progress moves between two looks.
    await page.getByText(seeded.nowPlaying.name).first().waitFor();
    const progress = async () =>
      Number(await page.locator("[data-progress-ms]").getAttribute("data-progress-ms"));
    const first = await progress();
    await until(async () => (await progress()) > first, "the progress moving");
    tab.assertClean();
    await tab.close();
  });

  test("history: scrolling reads the next pages on the cursor, newest first, no listen twice", async () => {
    const tab = await dash.open("/app/history", { signedIn: true, timezoneId: TZ });
    const { page } = tab;
    const rows = page.locator("tr[data-play-id]");
    await until(async () => (await rows.count()) >= 50, "the first page");
    // The list may read ahead while its end is near, but never everything before a scroll.
    const before = await rows.count();
    assert.ok(before % 50 === 0 && before < seeded.plays.length, `${before} listens before scrolling`);
    const end = page.getByText(/That is all: \d+ listens/);
    await until(async () => {
      if (await end.isVisible()) return true;
      await page.mouse.wheel(0, 4000);
      return false;
    }, "the end of the history after scrolling");
    const ids = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-play-id")));
    assert.equal(new Set(ids).size, ids.length, "no listen twice");
    assert.deepEqual(
      ids,
      seeded.plays.map((p) => `${p.listened_at}#${p.track_id}`),
      "every seeded listen, newest first",
    );
    // Skips are marked.
    const skips = seeded.plays.filter((p) => !p.counted).length;
    assert.equal(await page.locator("tr.skip").count(), skips);
    assert.equal(await page.locator("tr.skip .badge", { hasText: "skipped" }).count(), skips);
    tab.assertClean();
    await tab.close();
  });

  test("history filters: skips only, one track", async () => {
    const tab = await dash.open("/app/history", { signedIn: true });
    const { page } = tab;
    await page.locator("select[name=counted]").selectOption("false");
    await page.waitForURL(/counted=false/);
    const rows = page.locator("tr[data-play-id]");
    const skips = seeded.plays.filter((p) => !p.counted);
    await until(
      async () =>
        (await rows.count()) === skips.length && (await page.locator("tr.skip").count()) === skips.length,
      `${skips.length} skips`,
    );
    await page.locator("select[name=counted]").selectOption("all");
    const track = seeded.plays[0];
    assert.ok(track);
    await page.locator(`tr[data-play-id="${track.listened_at}#${track.track_id}"] .filter-track`).click();
    await page.waitForURL(new RegExp(`track_id=${track.track_id}`));
    const ofTrack = seeded.plays.filter((p) => p.track_id === track.track_id).length;
    await until(
      async () => (await rows.count()) === ofTrack && (await page.getByText(/That is all/).isVisible()),
      `${ofTrack} listens of the track`,
    );
    await page.getByRole("button", { name: /^Track: .* \(remove this filter\)$/ }).click();
    await page.waitForURL((u) => !u.search.includes("track_id"));
    tab.assertClean();
    await tab.close();
  });

  test("deleting a wrong play removes it from the list and from the statistics", async () => {
    const tab = await dash.open("/app/history", { signedIn: true });
    const { page } = tab;
    const target = seeded.plays.find((p) => p.counted);
    assert.ok(target);
    const id = `${target.listened_at}#${target.track_id}`;
    const before = await apiJson<{ plays: number }>("/stats/summary?range=all");
    const row = page.locator(`tr[data-play-id="${id}"]`);
    await row.waitFor();
    page.once("dialog", (d) => void d.accept());
    await row.getByRole("button", { name: /Delete/ }).click();
    await row.waitFor({ state: "detached" });
    await page
      .getByText(/Deleted the listen of/)
      .first()
      .waitFor();
    const afterDelete = await apiJson<{ plays: number }>("/stats/summary?range=all");
    assert.equal(afterDelete.plays, before.plays - 1);
    const first = await apiJson<{ items: { listened_at: string; track_id: string }[] }>("/plays?limit=500");
    assert.ok(!first.items.some((p) => `${p.listened_at}#${p.track_id}` === id), "gone from GET /plays");
    seeded.plays = seeded.plays.filter((p) => `${p.listened_at}#${p.track_id}` !== id);
    tab.assertClean();
    await tab.close();
  });

  test("the navigation works from the keyboard alone", async () => {
    const tab = await dash.open("/app/overview", { signedIn: true });
    const { page } = tab;
    await page.getByRole("navigation", { name: "Pages" }).waitFor();
    await page.keyboard.press("Tab");
    assert.equal(
      await page.evaluate<string | null>("document.activeElement?.textContent"),
      "Skip to content",
    );
    let focused = "";
    for (let i = 0; i < 10 && focused !== "History"; i++) {
      await page.keyboard.press("Tab");
      focused = (await page.evaluate<string | null>("document.activeElement?.textContent")) ?? "";
    }
    assert.equal(focused, "History", "Tab reaches the History link");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/app\/history$/);
    await page.getByRole("heading", { name: "History", level: 1 }).waitFor();
    assert.equal(await page.locator('nav a[aria-current="page"]').textContent(), "History");
    tab.assertClean();
    await tab.close();
  });

  for (const colorScheme of ["light", "dark"] as const) {
    test(`each page in ${colorScheme}: no serious accessibility violation, a screenshot`, async () => {
      for (const [name, path] of [
        ["overview", "/app/overview?range=1y"],
        ["history", "/app/history"],
      ] as const) {
        const tab = await dash.open(path, { signedIn: true, colorScheme, timezoneId: TZ });
        await tab.page.locator("main [aria-busy=false]").first().waitFor();
        await tab.page.locator("tr[data-play-id], dd[data-stat]").first().waitFor();
        // The chart draws itself once its data is in.
        if (name === "overview") await tab.page.locator(".chart canvas").waitFor();
        await tab.checkA11y();
        await tab.screenshot(name, { fullPage: name !== "history" });
        tab.assertClean();
        await tab.close();
      }
      const signin = await dash.open("/app/signin", { colorScheme });
      signin.allow(401, /\/me$/);
      await signin.page.getByRole("button", { name: "Sign in" }).waitFor();
      await signin.checkA11y();
      await signin.screenshot("signin");
      signin.assertClean();
      await signin.close();
      // The phone: the overview fits a narrow screen.
      const phone = await dash.open("/app/overview", {
        signedIn: true,
        colorScheme,
        viewport: { width: 390, height: 844 },
      });
      await phone.page.locator("dd[data-stat]").first().waitFor();
      const overflow = await phone.page.evaluate<number>(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth",
      );
      assert.ok(overflow <= 0, `no sideways scrolling on a phone (${overflow} px too wide)`);
      await phone.checkA11y();
      await phone.screenshot("overview-phone");
      phone.assertClean();
      await phone.close();
    });
  }
});
