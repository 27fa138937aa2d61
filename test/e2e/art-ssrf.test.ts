import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { cacheKeys } from "#shared/cache/keys.ts";
import { fetchArt, hostAllowed, isInternalAddress } from "#shared/cards/art.ts";
import { SPOTIFY_IMAGE_HOSTS } from "#shared/config.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import type { NowPlayingSnapshot } from "#shared/domain/tracker.ts";
import type { PlayableItem } from "#shared/spotify/types.ts";
import { startTestApp, type TestApp } from "#test/support/app.ts";

/**
 * Album-art fetching is an SSRF fence: the public SVG cards embed whatever the art URL returns,
 * so a URL that redirects inward, names an internal address or a host off the allow-list must
 * give the placeholder, and the internal server must never be asked.
 */

const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
  "base64",
);

let internal: Server;
let internalUrl: string;
let internalHits = 0;
let outside: Server;
let outsideUrl: string;

const listen = async (s: Server) => {
  await new Promise<void>((ok) => s.listen(0, "127.0.0.1", ok));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
};

before(async () => {
  // Stands for an internal service (instance metadata, an admin panel): it has an image to leak.
  internal = createServer((_req, res) => {
    internalHits++;
    res.writeHead(200, { "content-type": "image/png" }).end(PNG);
  });
  internalUrl = await listen(internal);
  // An allowed image host that answers with a redirect into the internal network.
  outside = createServer((req, res) => {
    if (req.url === "/direct.png") return void res.writeHead(200, { "content-type": "image/png" }).end(PNG);
    res.writeHead(302, { location: `${internalUrl}/secret.png` }).end();
  });
  outsideUrl = await listen(outside);
});
after(() => {
  for (const s of [internal, outside]) {
    s.closeAllConnections();
    s.close();
  }
});

describe("through the now-playing card", () => {
  let app: TestApp;
  before(async () => {
    // Both servers listen on 127.0.0.1, which is allowed here: what keeps the internal one out
    // is that a redirect is never followed.
    app = await startTestApp({ ART_ALLOWED_HOSTS: "127.0.0.1" });
  });
  after(() => app.close());

  async function cardFor(imageUrl: string, albumId: string): Promise<string> {
    const item: PlayableItem = {
      key: "trk0000000000000000001",
      kind: "track",
      name: "Song",
      uri: "spotify:track:trk0000000000000000001",
      artists: [{ id: "art0000000000000000001", name: "Band" }],
      album: { id: albumId, name: "Album", image_url: imageUrl },
      duration_ms: 200_000,
      url: "https://open.spotify.com/track/trk0000000000000000001",
    };
    const snapshot: NowPlayingSnapshot = {
      is_playing: true,
      progress_ms: 30_000,
      observed_at: app.deps.clock().toISOString(),
      device: { id: "d", name: "Laptop", type: "Computer" },
      context: null,
      item,
    };
    await app.deps.cache.set(cacheKeys.snapshot(OWNER_ID), snapshot);
    const res = await fetch(`${app.url}/spotify/now-playing.svg`);
    assert.equal(res.status, 200);
    return res.text();
  }

  test("an allowed image is embedded (the fence lets the real thing through)", async () => {
    const svg = await cardFor(`${outsideUrl}/direct.png`, "alb0000000000000000001");
    assert.match(svg, /href="data:image\/png;base64,/);
  });

  test("a 302 to an internal address gives the placeholder; the internal server is never asked", async () => {
    const before = internalHits;
    const svg = await cardFor(`${outsideUrl}/art.png`, "alb0000000000000000002");
    assert.doesNotMatch(svg, /data:image\//, "no embedded image");
    assert.equal(internalHits, before, "the redirect was not followed");
  });
});

describe("the fence itself", () => {
  test("with the default allow-list, loopback and off-list hosts are refused before any request", async () => {
    const before = internalHits;
    await assert.rejects(fetchArt(`${internalUrl}/secret.png`), /not allowed/);
    await assert.rejects(fetchArt("http://evil.example/a.png"), /not allowed/);
    // A wildcard does not admit look-alikes.
    await assert.rejects(fetchArt("https://evilspotifycdn.com/a.png"), /not allowed/);
    assert.equal(internalHits, before);
  });

  test("an allowed name that resolves to a private or link-local address is refused", async () => {
    for (const address of [
      "10.0.0.5",
      "169.254.169.254",
      "192.168.1.1",
      "::1",
      "fe80::1",
      "::ffff:127.0.0.1",
    ]) {
      await assert.rejects(
        fetchArt("https://i.scdn.co/image/x", { resolve: async () => [address] }),
        /internal address/,
        address,
      );
    }
  });

  test("a listed literal address is allowed; wildcards match subdomains only", () => {
    assert.equal(hostAllowed("127.0.0.1", ["127.0.0.1"]), true);
    assert.equal(hostAllowed("image-cdn-ak.spotifycdn.com", SPOTIFY_IMAGE_HOSTS), true);
    assert.equal(hostAllowed("x.y.spotifycdn.com", SPOTIFY_IMAGE_HOSTS), true);
    assert.equal(hostAllowed("spotifycdn.com", ["*.spotifycdn.com"]), false);
    assert.equal(hostAllowed("i.scdn.co.evil.dev", SPOTIFY_IMAGE_HOSTS), false);
    assert.equal(isInternalAddress("151.101.2.248"), false);
    assert.equal(isInternalAddress("172.20.0.1"), true);
    assert.equal(isInternalAddress("2a04:4e42::248"), false);
  });
});
