import assert from "node:assert/strict";
import { cacheKeys } from "#shared/cache/keys.ts";
import { recordListen } from "#shared/capture/record.ts";
import type { Deps } from "#shared/deps.ts";
import type { Play } from "#shared/domain/entities.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import type { NowPlayingSnapshot } from "#shared/domain/tracker.ts";
import type { TrackInfo } from "#shared/store/port.ts";
import { TEST_PASSWORD } from "./app.ts";
import { type Dashboard, startDashboard } from "./browser.ts";
import { playOf, rng } from "./plays.ts";

/**
 * A listening history for the dashboard's browser tests: a dozen tracks by six artists, listened
 * over the last year and a half (denser lately, so every range shows other numbers), one in six a
 * skip, and the owner's player playing now. No album art: the browser has no network, and a
 * failed image would be a failed request.
 */

const ARTISTS = [
  { id: "artAuroraPark000000001", name: "Aurora Park" },
  { id: "artMiraSol000000000002", name: "Mira Sol" },
  { id: "artNorthwind0000000003", name: "Northwind" },
  { id: "artTheQuietHours000004", name: "The Quiet Hours" },
  { id: "artVelvetEngine0000005", name: "Velvet Engine" },
  { id: "artLumenDrive000000006", name: "Lumen Drive" },
];
const TITLES = [
  "Northern Lights",
  "Paper Planes",
  "Slow Tide",
  "Glasshouse",
  "Weather Systems",
  "Satellite Heart",
  "Copper Sky",
  "Late Trains",
  "Harbour",
  "Blue Hour",
  "Static Bloom",
  "Undertow",
];

export const SEED_TRACKS: TrackInfo[] = TITLES.map((name, i) => {
  const main = ARTISTS[i % ARTISTS.length] ?? ARTISTS[0];
  const artists = i % 5 === 0 ? [main, ARTISTS[(i + 1) % ARTISTS.length] ?? main] : [main];
  return {
    track_id: `trk${String(i).padStart(2, "0")}${name.replace(/\W/g, "").padEnd(17, "x").slice(0, 17)}`,
    kind: "track",
    name,
    uri: `spotify:track:trk${i}`,
    artists: artists.map((a) => ({ id: a?.id ?? null, name: a?.name ?? "?" })),
    album: { id: `alb${String(i % 4).padStart(19, "0")}`, name: `Album ${"ABCD"[i % 4]}`, image_url: null },
    duration_ms: 150_000 + i * 9_000,
  };
});

export interface Seeded {
  plays: Play[];
  nowPlaying: TrackInfo;
}

export async function seedListening(
  deps: Deps,
  opts: { plays?: number; now?: number } = {},
): Promise<Seeded> {
  const now = opts.now ?? Date.now();
  const random = rng(15);
  const count = opts.plays ?? 160;
  const plays: Play[] = [];
  for (let i = 0; i < count; i++) {
    // Squared: most listens are recent, some are over a year old.
    const ageMs = Math.floor(random() ** 2 * 540 * 86_400_000) + 3_600_000;
    const track =
      SEED_TRACKS[Math.floor(random() * SEED_TRACKS.length) % SEED_TRACKS.length] ?? SEED_TRACKS[0];
    if (!track) throw new Error("no seed tracks");
    const skip = random() < 1 / 6;
    const listened = skip ? 8_000 + Math.floor(random() * 15_000) : track.duration_ms;
    const play = playOf(track, now - ageMs, listened, !skip, {
      device_name: "Laptop",
      device_type: "Computer",
    });
    await recordListen(deps.store, play, track);
    plays.push(play);
  }
  const nowPlaying = SEED_TRACKS[0] ?? (undefined as never);
  const snapshot: NowPlayingSnapshot = {
    item: {
      key: nowPlaying.track_id,
      kind: "track",
      name: nowPlaying.name,
      uri: nowPlaying.uri,
      artists: nowPlaying.artists,
      album: nowPlaying.album,
      duration_ms: nowPlaying.duration_ms,
      url: `https://open.spotify.com/track/${nowPlaying.track_id}`,
    },
    is_playing: true,
    progress_ms: 40_000,
    observed_at: new Date(now).toISOString(),
    device: { id: "lap", name: "Laptop", type: "Computer" },
    context: null,
    art: null,
  };
  await deps.cache.set(cacheKeys.snapshot(OWNER_ID), snapshot);
  return { plays: plays.sort((a, b) => (a.listened_at < b.listened_at ? 1 : -1)), nowPlaying };
}

/** The dashboard against `npm start` with this history seeded, and the owner's bearer token. */
export interface SeededDashboard {
  dash: Dashboard;
  seeded: Seeded;
  bearer: string;
  /** The API's answer for `path` as the owner; anything but 200 fails the test. */
  apiJson<T>(path: string): Promise<T>;
}

export async function startSeededDashboard(): Promise<SeededDashboard> {
  let seeded: Seeded | undefined;
  const dash = await startDashboard({
    seed: async (deps) => {
      seeded = await seedListening(deps);
    },
  });
  const res = await fetch(`${dash.url}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ username: "admin", password: TEST_PASSWORD }),
  });
  const bearer = ((await res.json()) as { access_token: string }).access_token;
  if (!seeded) throw new Error("the dashboard started without running its seed");
  return {
    dash,
    seeded,
    bearer,
    async apiJson<T>(path: string): Promise<T> {
      const r = await fetch(`${dash.url}${path}`, { headers: { authorization: `Bearer ${bearer}` } });
      assert.equal(r.status, 200, `${path}: ${await r.clone().text()}`);
      return (await r.json()) as T;
    },
  };
}
