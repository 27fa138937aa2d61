import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { cacheKeys } from "#shared/cache/keys.ts";
import { createUpstashCache } from "#shared/cache/upstash.ts";
import type { LoopState } from "#shared/capture/loop.ts";
import { recordListen } from "#shared/capture/record.ts";
import { runPollTask } from "#shared/capture/runner.ts";
import { SNAPSHOT_ART_MAX_CHARS } from "#shared/cards/art.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import { routes } from "#shared/http/routes.ts";
import type { TrackInfo } from "#shared/store/port.ts";
import { startTestApp, type TestApp } from "#test/support/app.ts";
import { linkSpotify } from "#test/support/capture.ts";
import {
  appEnvFor,
  type FakeSpotify,
  type SpotifyTrack,
  startFakeSpotify,
  track,
} from "#test/support/fake-spotify.ts";
import { playOf } from "#test/support/plays.ts";
import { redisPort } from "#test/support/services.ts";
import { startUpstashServer } from "#test/support/upstash-server.ts";

/**
 * A view of the now-playing card is ONE cache command through the Upstash REST endpoint (the
 * path AWS takes): the loop embeds the album art in the snapshot when the item changes, so
 * the card does not read the snapshot and then the art in sequence.
 */

const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);
/** A cover past what a snapshot embeds (its data URI is over SNAPSHOT_ART_MAX_CHARS). */
const BIG_PNG = Buffer.concat([PNG, Buffer.alloc(Math.ceil((SNAPSHOT_ART_MAX_CHARS * 3) / 4), 7)]);
const TOKEN = `card-test-${Math.random().toString(36).slice(2)}`;
const PREFIX = `hoardify-test:cards:${process.pid}:${Date.now().toString(36)}:`;

let upstash: Awaited<ReturnType<typeof startUpstashServer>>;
let fake: FakeSpotify;
let app: TestApp;
let images: Server;
let imagesUrl: string;
let imageHits = 0;
let state: LoopState | null = null;

before(async () => {
  upstash = await startUpstashServer({ redisPort: await redisPort(), token: TOKEN });
  // The album art host: /ok.png is a cover, anything else a 404.
  images = createServer((req, res) => {
    imageHits++;
    if (req.url?.startsWith("/ok.png"))
      return void res.writeHead(200, { "content-type": "image/png" }).end(PNG);
    if (req.url === "/big.png") return void res.writeHead(200, { "content-type": "image/png" }).end(BIG_PNG);
    res.writeHead(404).end();
  });
  await new Promise<void>((ok) => images.listen(0, "127.0.0.1", ok));
  imagesUrl = `http://127.0.0.1:${(images.address() as AddressInfo).port}`;
  fake = await startFakeSpotify({ now: () => (app ? app.deps.clock().getTime() : Date.now()) });
  app = await startTestApp(appEnvFor(fake), {
    cache: createUpstashCache({ url: upstash.url, token: TOKEN, keyPrefix: PREFIX }),
  });
  await linkSpotify(app.deps.store, fake, app.deps.clock());
});
after(async () => {
  await app.close();
  await fake.stop();
  await upstash.stop();
  images.close();
});

/** A track whose album cover is `path` on the test's image host. */
function trackWithCover(name: string, path: string): SpotifyTrack {
  const t = track({ name, duration_ms: 200_000 });
  t.album.images = [{ url: `${imagesUrl}${path}`, width: 64, height: 64 }];
  return t;
}

/** One poll of the loop, a couple of seconds after the last. */
async function poll() {
  app.advance(2000);
  state = (await runPollTask(app.deps, { state })).state;
}

/** One card view: its body and the cache commands it made. */
async function view(
  path: string = routes.spotifyNowPlayingSvg.path,
): Promise<{ svg: string; commands: string[][] }> {
  const from = upstash.commands.length;
  const res = await fetch(`${app.url}${path}`);
  assert.equal(res.status, 200);
  const svg = await res.text();
  return { svg, commands: upstash.commands.slice(from) };
}

const isSnapshotGet = (c: string[]) =>
  c.length === 2 && c[0]?.toLowerCase() === "get" && c[1] === `${PREFIX}${cacheKeys.snapshot(OWNER_ID)}`;

test("a playing card is one cache read, and shows the art the loop embedded", async () => {
  fake.player.play(trackWithCover("With cover", "/ok.png"));
  await poll();
  assert.equal(imageHits, 1, "the loop fetched the cover once");
  for (let i = 0; i < 3; i++) {
    const { svg, commands } = await view();
    assert.equal(commands.length, 1, `one command per view: ${JSON.stringify(commands)}`);
    assert.ok(commands[0] && isSnapshotGet(commands[0]), "the snapshot read");
    assert.match(svg, /With cover/);
    assert.match(svg, /href="data:image\/png;base64,/, "the cover is embedded");
  }
  // The JSON routes do not carry the art.
  const json = await (await fetch(`${app.url}${routes.spotifyNowPlaying.path}`)).text();
  assert.doesNotMatch(json, /data:image/);
});

test("a pause rewrites the snapshot without fetching the cover again", async () => {
  fake.player.pause();
  await poll();
  const { svg, commands } = await view();
  assert.match(svg, /Paused/i);
  assert.equal(imageHits, 1, "the cover was not fetched again");
  assert.equal(commands.length, 1);
  assert.match(svg, /href="data:image\/png;base64,/);
});

test("a cover that cannot be fetched: the placeholder, still one cache read", async () => {
  fake.player.play(trackWithCover("Broken cover", "/missing.png"));
  await poll();
  assert.equal(imageHits, 2, "the loop tried the new cover");
  const { svg, commands } = await view();
  assert.equal(commands.length, 1, `one command per view: ${JSON.stringify(commands)}`);
  assert.match(svg, /Broken cover/);
  assert.doesNotMatch(svg, /data:image\//, "no embedded image: the placeholder");
  assert.equal(imageHits, 2, "the card itself fetched nothing");
});

test("a cover too big to embed stays out of the snapshot; the card reads it from its own key", async () => {
  fake.player.play(trackWithCover("Big cover", "/big.png"));
  await poll();
  const snapshot = await app.deps.cache.get<Record<string, unknown>>(cacheKeys.snapshot(OWNER_ID));
  assert.ok(snapshot && !("art" in snapshot), "not embedded");
  const first = await view();
  assert.match(first.svg, /href="data:image\/png;base64,/, "the card still shows it");
  const warm = await view();
  assert.equal(warm.commands.length, 2, "the snapshot, then the art key");
  assert.match(warm.svg, /href="data:image\/png;base64,/);
});

test("the recently-played and top-artists cards are one cache read a view once warm", async () => {
  const t: TrackInfo = {
    track_id: "trkcard0000000000000001",
    kind: "track",
    name: "Counted song",
    uri: "spotify:track:trkcard0000000000000001",
    artists: [{ id: "artcard000000000000001", name: "Card Band" }],
    album: { id: "albcard000000000000001", name: "Card Album", image_url: `${imagesUrl}/ok.png?album` },
    duration_ms: 200_000,
  };
  const t0 = app.deps.clock().getTime() - 3_600_000;
  for (let i = 0; i < 3; i++)
    await recordListen(app.deps.store, playOf(t, t0 + i * 300_000, 180_000, true), t);
  await app.deps.store.saveArtistMetadata({
    artist_id: "artcard000000000000001",
    name: "Card Band",
    genres: [],
    popularity: 50,
    image_url: `${imagesUrl}/ok.png?artist`,
    synced_at: app.deps.clock().toISOString(),
  });
  for (const path of [routes.spotifyRecentlyPlayedSvg.path, routes.spotifyTopArtistsSvg.path]) {
    // The first view fetches the pictures and remembers them.
    const cold = await view(path);
    assert.match(cold.svg, /href="data:image\/png;base64,/, `${path}: art on the first view`);
    const warm = await view(path);
    assert.equal(warm.commands.length, 1, `${path}: one command per view: ${JSON.stringify(warm.commands)}`);
    assert.match(warm.svg, /href="data:image\/png;base64,/, `${path}: art on a warm view`);
  }
});
