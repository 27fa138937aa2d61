import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { browserSkip, type Dashboard, until, type WatchedPage } from "#test/support/browser.ts";
import { trackRow } from "#test/support/exports.ts";
import { type Seeded, type SeededDashboard, startSeededDashboard } from "#test/support/web-seed.ts";
import { makeZip } from "#test/support/zip.ts";

/**
 * The year in review, the card builder, the data page (an import of a small export), the admin
 * page and a track page in Chromium against `npm start` with a seeded hoard: their figures
 * against the API's, each page checked by axe-core, in light and dark, screenshots kept in docs/
 * with UPDATE_SCREENSHOTS=1. The harness fails a page on any console error or failed request.
 */

const TZ = "Europe/Paris";
const SCHEMES = ["light", "dark"] as const;
let dash: Dashboard;
let seeded: Seeded;

let apiJson: SeededDashboard["apiJson"];

const digits = (s: string | null) => Number((s ?? "").replace(/\D/g, ""));
const text = (tab: WatchedPage, selector: string) => tab.page.locator(selector).first().textContent();

/** Ends a page's test the same way: accessibility, the screenshot, nothing went wrong. */
async function finish(tab: WatchedPage, name: string) {
  await tab.checkA11y();
  await tab.screenshot(name);
  tab.assertClean();
  await tab.close();
}

before(async () => {
  if (browserSkip) return;
  ({ dash, seeded, apiJson } = await startSeededDashboard());
});
after(async () => {
  await dash?.close();
});

describe("the dashboard's other pages in a browser", { skip: browserSkip }, () => {
  for (const colorScheme of SCHEMES) {
    test(`year in review (${colorScheme}): the API's numbers, and the share card once turned on`, async () => {
      const tab = await dash.open("/app/year", { signedIn: true, colorScheme, timezoneId: TZ });
      const { page } = tab;
      const year = Number(
        new Intl.DateTimeFormat("en-CA", { timeZone: TZ, year: "numeric" }).format(new Date()),
      );
      type Year = { minutes: number; plays: number; distinct_tracks: number; new_artists: { count: number } };
      const api = await apiJson<Year>(`/stats/year?year=${year}&tz=${encodeURIComponent(TZ)}`);
      assert.ok(api.plays > 0, "the seed has plays this year");
      await until(
        async () =>
          digits(await text(tab, 'dd[data-stat="plays"]')) === api.plays &&
          digits(await text(tab, 'dd[data-stat="minutes"]')) === api.minutes &&
          digits(await text(tab, 'dd[data-stat="tracks"]')) === api.distinct_tracks &&
          digits(await text(tab, 'dd[data-stat="new-artists"]')) === api.new_artists.count,
        `${api.plays} plays, ${api.minutes} minutes shown`,
      );
      // The share card: off by default; on, its image loads from its own public URL.
      const toggle = page.getByLabel("Share my year card");
      if (colorScheme === "light") assert.equal(await toggle.isChecked(), false);
      // The box follows the saved setting (PATCH /me, then GET /me): click, then wait for it.
      if (!(await toggle.isChecked())) await toggle.click();
      await until(() => toggle.isChecked(), "the share setting saved");
      const card = page.locator(`img[alt="My ${year} in music"]`);
      await until(
        () => card.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth > 0),
        "the year card loaded",
      );
      const src = await card.getAttribute("src");
      assert.match(src ?? "", new RegExp(`^/spotify/year/${year}\\.svg\\?tz=`));
      const anonymous = await fetch(`${dash.url}${src}`);
      assert.equal(anonymous.status, 200, "public once shared");
      await finish(tab, "year");
    });
  }

  for (const colorScheme of SCHEMES) {
    test(`card builder (${colorScheme}): type and theme change the preview URL, and it loads`, async () => {
      const tab = await dash.open("/app/cards", { signedIn: true, colorScheme, timezoneId: TZ });
      const { page } = tab;
      const preview = page.locator(".card-preview img");
      const loaded = async (what: string) =>
        until(async () => (await preview.getAttribute("data-state")) === "loaded", `${what} preview loaded`);
      await loaded("now-playing");
      assert.equal(await preview.getAttribute("src"), "/spotify/now-playing.svg");
      await page.getByLabel("Type").selectOption("top-artists");
      await page.waitForURL(/type=top-artists/);
      await until(
        async () => (await preview.getAttribute("src")) === "/spotify/top-artists.svg",
        "top-artists src",
      );
      await loaded("top-artists");
      await page.getByLabel("Theme").selectOption("dark");
      await page.getByLabel("Period").selectOption("7d");
      const src = "/spotify/top-artists.svg?theme=dark&range=7d";
      await until(async () => (await preview.getAttribute("src")) === src, "dark 7d src");
      await loaded("dark top-artists");
      const line = await page.getByLabel("Markdown").inputValue();
      assert.ok(line.includes(`(${dash.url}${src})`), line);
      // The weekly grid in the browser's zone.
      await page.getByLabel("Type").selectOption("weekly-grid");
      await until(
        async () =>
          (await preview.getAttribute("src"))?.includes(
            "/spotify/weekly-grid.svg?theme=dark&tz=Europe%2FParis",
          ),
        "weekly-grid src",
      );
      await loaded("weekly grid");
      await finish(tab, "cards");
    });
  }

  test("admin: the system's state in sentences, with the API's counts", async () => {
    for (const colorScheme of SCHEMES) {
      const tab = await dash.open("/app/admin", { signedIn: true, colorScheme, timezoneId: TZ });
      const stats = await apiJson<{ counts: { plays: number; counted_plays: number } }>(
        "/admin/system-stats",
      );
      const hoard = tab.page.locator('[data-part="hoard"]');
      await until(
        async () =>
          (await hoard.textContent())?.includes(
            `${stats.counts.plays.toLocaleString("en-GB")} listens stored, ${stats.counts.counted_plays.toLocaleString("en-GB")} of them counted`,
          ),
        "the hoard's counts",
      );
      await tab.page.locator('[data-part="capture"]').waitFor();
      await tab.page.getByRole("rowheader", { name: /owner/ }).first().waitFor();
      await finish(tab, "admin");
    }
  });

  test("a track page: plays, skip rate and the chart, as GET /stats/tracks has them", async () => {
    const counts = new Map<string, number>();
    for (const p of seeded.plays) counts.set(p.track_id, (counts.get(p.track_id) ?? 0) + 1);
    const [id] = [...counts].sort((a, b) => b[1] - a[1])[0] ?? [];
    assert.ok(id);
    for (const colorScheme of SCHEMES) {
      const tab = await dash.open(`/app/tracks/${id}`, { signedIn: true, colorScheme, timezoneId: TZ });
      const api = await apiJson<{ plays: number; skips: number; series: unknown[] }>(
        `/stats/tracks/${id}?tz=${encodeURIComponent(TZ)}`,
      );
      await until(
        async () =>
          digits(await text(tab, 'dd[data-value="plays"]')) === api.plays &&
          digits(await text(tab, 'dd[data-value="skips"]')) === api.skips,
        `${api.plays} plays, ${api.skips} skips`,
      );
      if (api.series.length > 1) await tab.page.locator(".chart canvas").first().waitFor();
      await finish(tab, "track");
    }
  });

  test("data: importing a small Spotify download shows progress to the end and the rows read, stored, skipped", async () => {
    for (const [i, colorScheme] of SCHEMES.entries()) {
      const tab = await dash.open("/app/data", { signedIn: true, colorScheme, timezoneId: TZ });
      const { page } = tab;
      // Two weeks ago, a different minute for each run: 3 stored, 1 incognito and 1 of 0 ms skipped.
      const end = Date.now() - 14 * 86_400_000 + i * 3_600_000;
      const rows = [
        trackRow({
          end,
          ms: 200_000,
          id: "4uLU6hMCjMI75M1A2tKUQC",
          name: "Imported One",
          artist: "Import Band",
        }),
        trackRow({
          end: end + 300_000,
          ms: 180_000,
          id: "4uLU6hMCjMI75M1A2tKUQD",
          name: "Two",
          artist: "Import Band",
        }),
        trackRow({
          end: end + 600_000,
          ms: 0,
          id: "4uLU6hMCjMI75M1A2tKUQE",
          name: "Zero",
          artist: "Import Band",
        }),
        trackRow({
          end: end + 900_000,
          ms: 150_000,
          id: "4uLU6hMCjMI75M1A2tKUQF",
          name: "Private",
          artist: "Import Band",
          incognito: true,
        }),
        trackRow({
          end: end + 1_200_000,
          ms: 90_000,
          id: "4uLU6hMCjMI75M1A2tKUQG",
          name: "Three",
          artist: "Import Band",
        }),
      ];
      const zip = makeZip([
        {
          name: "Spotify Extended Streaming History/Streaming_History_Audio_2026.json",
          data: JSON.stringify(rows),
        },
        { name: "Spotify Extended Streaming History/ReadMeFirst_ExtendedStreamingHistory.pdf", data: "%PDF" },
      ]);
      await page.getByLabel("Files").setInputFiles({
        name: "my_spotify_data.zip",
        mimeType: "application/zip",
        buffer: zip,
      });
      await page.getByRole("button", { name: "Import" }).click();
      await page.locator('[data-stage="done"]').waitFor({ timeout: 60_000 });
      assert.equal(await page.locator(".progress-line progress").getAttribute("value"), "1");
      const cell = (col: string) => text(tab, `.import-results td[data-col="${col}"]`);
      assert.equal(digits(await cell("read")), 5);
      assert.equal(digits(await cell("stored")), 3);
      assert.equal(digits(await cell("skipped")), 2);
      assert.equal(digits(await cell("matched")), 0);
      assert.match(
        (await text(tab, ".import-results th[scope=row]")) ?? "",
        /Streaming_History_Audio_2026\.json/,
      );
      await finish(tab, "data");
    }
  });
});
