import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Play, Track } from "#shared/domain/entities.ts";
import { syntheticArtistId, syntheticTrackId } from "#shared/domain/names.ts";
import {
  artistIdsByName,
  awaitsResolution,
  linkedArtists,
  movedPlay,
  resolvedPlay,
} from "#shared/import/resolve.ts";
import type { PlayableItem } from "#shared/spotify/types.ts";

const track = (o: Partial<Track>): Track => ({
  track_id: "4uLU6hMCjMI75M1A2tKUQC",
  kind: "track",
  name: "Song",
  uri: "spotify:track:4uLU6hMCjMI75M1A2tKUQC",
  artists: [{ id: "rick", name: "Rick Astley" }],
  album: { id: "lp", name: "LP", image_url: null },
  duration_ms: 200_000,
  listen_count: 1,
  skip_count: 0,
  listened_ms_total: 1,
  first_listened: null,
  last_listened: null,
  ...o,
});

const play = (o: Partial<Play>): Play => ({
  track_id: "4uLU6hMCjMI75M1A2tKUQC",
  kind: "track",
  name: "Song",
  artists: [{ id: syntheticArtistId("Rick Astley"), name: "Rick Astley" }],
  album_id: null,
  listened_at: "2024-01-01T00:00:00.000Z",
  ended_at: "2024-01-01T00:00:20.000Z",
  listened_ms: 20_000,
  duration_ms: 0,
  counted: false,
  estimated: true,
  source: "import",
  device_name: null,
  device_type: null,
  context_type: null,
  context_uri: null,
  shuffle_state: null,
  ...o,
});

describe("what resolution changes", () => {
  test("only imported tracks keyed by names or without a duration await it", () => {
    assert.equal(awaitsResolution(track({})), false, "a live track");
    assert.equal(awaitsResolution(track({ artists: [{ id: syntheticArtistId("X"), name: "X" }] })), true);
    assert.equal(awaitsResolution(track({ duration_ms: 0 })), true);
    assert.equal(
      awaitsResolution(track({ track_id: syntheticTrackId("X", "Y"), duration_ms: 0 })),
      false,
      "no Spotify id to ask about",
    );
    assert.equal(awaitsResolution({ ...track({ duration_ms: 0 }), unresolvable: true }), false);
  });

  test("an imported play takes Spotify's artists, album and duration, and counts by them", () => {
    const item: PlayableItem = {
      key: "4uLU6hMCjMI75M1A2tKUQC",
      kind: "track",
      name: "Song",
      uri: "spotify:track:4uLU6hMCjMI75M1A2tKUQC",
      artists: [{ id: "rick", name: "Rick Astley" }],
      album: { id: "lp", name: "LP", image_url: null },
      duration_ms: 36_000,
      url: null,
    };
    const after = resolvedPlay(play({}), item);
    assert.deepEqual(
      [after?.artists, after?.album_id, after?.duration_ms, after?.counted],
      [item.artists, "lp", 36_000, true],
    );
    assert.equal(resolvedPlay(after as Play, item), null, "a resolved play is left alone");
    assert.equal(resolvedPlay(play({ source: "poll" }), item), null, "live plays are Spotify's already");
  });

  test("a name-keyed play moves to the Spotify track, counted by its duration", () => {
    const moved = movedPlay(
      play({ track_id: syntheticTrackId("Rick Astley", "Song") }),
      track({ duration_ms: 30_000 }),
    );
    assert.deepEqual(
      [moved.track_id, moved.album_id, moved.duration_ms, moved.counted, moved.listened_at],
      ["4uLU6hMCjMI75M1A2tKUQC", "lp", 30_000, true, "2024-01-01T00:00:00.000Z"],
    );
  });

  test("artist names link to the one Spotify id the tracks give them, never to one of two", () => {
    const byName = artistIdsByName([
      track({ artists: [{ id: "rick", name: "Rick Astley" }] }),
      track({ artists: [{ id: "nirvana-us", name: "Nirvana" }] }),
      track({ artists: [{ id: "nirvana-uk", name: "Nirvana" }] }),
      track({ artists: [{ id: syntheticArtistId("Kylie"), name: "Kylie" }] }),
    ]);
    assert.deepEqual([...byName.keys()].sort(), ["rick astley"]);
    const named = (n: string) => ({ id: syntheticArtistId(n), name: n });
    assert.deepEqual(linkedArtists([named("RICK ASTLEY"), named("Nirvana")], byName), [
      { id: "rick", name: "Rick Astley" },
      named("Nirvana"),
    ]);
    assert.equal(linkedArtists([named("Nirvana")], byName), null);
  });
});
