import assert from "node:assert/strict";
import { before, test } from "node:test";
import { recordListen } from "#shared/capture/record.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import type { Store, TrackInfo } from "#shared/store/port.ts";
import { createDynamoStore } from "#shared/store/repository.ts";
import { playOf } from "#test/support/plays.ts";
import { dynamoEndpoint, uniqueTableName } from "#test/support/services.ts";

/**
 * The catalog (artist and album items the metadata sync fills in) is registered when a track
 * is new to the hoard, not on every play: a conditional put that finds its item is billed as a
 * write all the same, and most plays are of known tracks.
 */

let store: Store;
const catalogPuts: string[] = [];

before(async () => {
  const client = createDocumentClient({ region: "us-east-1", endpoint: await dynamoEndpoint() });
  const tableName = uniqueTableName("record-listen");
  await ensureTable(client, tableName);
  const real = createDynamoStore({ client, tableName, listener: OWNER_ID });
  // The real store, with its catalog writes noted.
  store = {
    ...real,
    putArtistIfAbsent: (a) => {
      catalogPuts.push(`artist ${a.artist_id}`);
      return real.putArtistIfAbsent(a);
    },
    putAlbumIfAbsent: (a) => {
      catalogPuts.push(`album ${a.album_id}`);
      return real.putAlbumIfAbsent(a);
    },
  };
});

const track = (artists: TrackInfo["artists"], albumId = "alb1"): TrackInfo => ({
  track_id: "trk1",
  kind: "track",
  name: "Song",
  uri: "spotify:track:trk1",
  artists,
  album: { id: albumId, name: "Album", image_url: null },
  duration_ms: 200_000,
});

test("a new track registers its artists and album; later plays of it write no catalog item", async () => {
  const t = track([{ id: "art1", name: "Band" }]);
  const t0 = Date.UTC(2026, 10, 2, 8);
  assert.equal(await recordListen(store, playOf(t, t0, 180_000, true), t), "recorded");
  assert.deepEqual(catalogPuts.splice(0), ["artist art1", "album alb1"]);
  assert.ok(await store.getArtist("art1"), "the artist is there for the metadata sync");
  assert.ok(await store.getAlbum("alb1"), "the album too");

  assert.equal(await recordListen(store, playOf(t, t0 + 300_000, 180_000, true), t), "recorded");
  assert.equal(await recordListen(store, playOf(t, t0 + 600_000, 10_000, false), t), "recorded");
  // A replay is a duplicate and registers nothing either.
  assert.equal(await recordListen(store, playOf(t, t0, 180_000, true), t), "duplicate");
  assert.deepEqual(catalogPuts, [], "known track: no conditional puts billed for nothing");
  assert.equal((await store.getCounts()).artists, 1);
});

test("a known track that now credits another artist or album registers them", async () => {
  const t = track(
    [
      { id: "art1", name: "Band" },
      { id: "art2", name: "Guest" },
    ],
    "alb2",
  );
  assert.equal(await recordListen(store, playOf(t, Date.UTC(2026, 10, 3, 8), 180_000, true), t), "recorded");
  assert.deepEqual(catalogPuts.splice(0), ["artist art1", "artist art2", "album alb2"]);
  assert.ok(await store.getArtist("art2"));
  assert.equal((await store.getCounts()).artists, 2);
});
