import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  albumSchema,
  artistSchema,
  parsePlayerState,
  pickImage,
  recentlyPlayedSchema,
  severalArtistsSchema,
  toAlbumMetadata,
  toArtistMetadata,
  tokenResponseSchema,
  toRecentPlays,
} from "#shared/spotify/schemas.ts";

/** Payloads shaped like real Spotify answers (trimmed), with the oddities seen in the wild. */

const img = (id: string, sizes = [640, 300, 64]) =>
  sizes.map((s) => ({ url: `https://i.scdn.co/image/${id}-${s}`, width: s, height: s }));

const device = (over: Record<string, unknown> = {}) => ({
  id: "5fbb3ba6aa454b5534c4ba43a8c7e8e45a63ad0e",
  is_active: true,
  is_private_session: false,
  is_restricted: false,
  name: "Kitchen",
  type: "Speaker",
  volume_percent: 45,
  supports_volume: true,
  ...over,
});

const trackItem = () => ({
  album: {
    album_type: "album",
    total_tracks: 12,
    available_markets: ["SE"],
    external_urls: { spotify: "https://open.spotify.com/album/2noRn2Aes5aoNVsU6iWThc" },
    href: "https://api.spotify.com/v1/albums/2noRn2Aes5aoNVsU6iWThc",
    id: "2noRn2Aes5aoNVsU6iWThc",
    images: img("alb"),
    name: "Discovery",
    release_date: "2001-03-12",
    release_date_precision: "day",
    type: "album",
    uri: "spotify:album:2noRn2Aes5aoNVsU6iWThc",
    artists: [{ id: "4tZwfgrHOc3mvqYlEYSvVi", name: "Daft Punk", type: "artist" }],
  },
  artists: [
    {
      id: "4tZwfgrHOc3mvqYlEYSvVi",
      name: "Daft Punk",
      type: "artist",
      uri: "spotify:artist:4tZwfgrHOc3mvqYlEYSvVi",
    },
    {
      id: "1gR0gsQYfi6joyO1dlp76N",
      name: "Romanthony",
      type: "artist",
      uri: "spotify:artist:1gR0gsQYfi6joyO1dlp76N",
    },
  ],
  duration_ms: 320357,
  explicit: false,
  external_ids: { isrc: "GBDUW0000053" },
  external_urls: { spotify: "https://open.spotify.com/track/0DiWol3AO6WpXZgp0goxAV" },
  href: "https://api.spotify.com/v1/tracks/0DiWol3AO6WpXZgp0goxAV",
  id: "0DiWol3AO6WpXZgp0goxAV",
  is_local: false,
  name: "One More Time",
  popularity: 81,
  preview_url: null,
  track_number: 1,
  type: "track",
  uri: "spotify:track:0DiWol3AO6WpXZgp0goxAV",
});

const player = (over: Record<string, unknown> = {}) => ({
  device: device(),
  shuffle_state: true,
  smart_shuffle: false,
  repeat_state: "context",
  timestamp: 1_795_000_000_000,
  context: {
    external_urls: { spotify: "https://open.spotify.com/playlist/37i9dQZF1DXcBWIGoYBM5M" },
    href: "https://api.spotify.com/v1/playlists/37i9dQZF1DXcBWIGoYBM5M",
    type: "playlist",
    uri: "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M",
  },
  progress_ms: 42_123,
  item: trackItem(),
  currently_playing_type: "track",
  actions: { disallows: { resuming: true } },
  is_playing: true,
  ...over,
});

describe("player payload → Observation", () => {
  test("a track: every field the tracker needs, the 64 px cover, extra fields ignored", () => {
    const obs = parsePlayerState({ ...player(), brand_new_field: { nested: [1, 2] } });
    assert.equal(obs.type, "item");
    if (obs.type !== "item") return;
    assert.deepEqual(obs.item, {
      key: "0DiWol3AO6WpXZgp0goxAV",
      kind: "track",
      name: "One More Time",
      uri: "spotify:track:0DiWol3AO6WpXZgp0goxAV",
      artists: [
        { id: "4tZwfgrHOc3mvqYlEYSvVi", name: "Daft Punk" },
        { id: "1gR0gsQYfi6joyO1dlp76N", name: "Romanthony" },
      ],
      album: { id: "2noRn2Aes5aoNVsU6iWThc", name: "Discovery", image_url: "https://i.scdn.co/image/alb-64" },
      duration_ms: 320357,
      explicit: false,
      url: "https://open.spotify.com/track/0DiWol3AO6WpXZgp0goxAV",
    });
    assert.equal(obs.progress_ms, 42_123);
    assert.equal(obs.is_playing, true);
    assert.equal(obs.timestamp, 1_795_000_000_000);
    assert.deepEqual(obs.device, {
      id: "5fbb3ba6aa454b5534c4ba43a8c7e8e45a63ad0e",
      name: "Kitchen",
      type: "Speaker",
    });
    assert.deepEqual(obs.context, { type: "playlist", uri: "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M" });
    assert.equal(obs.shuffle_state, true);
    assert.equal(obs.repeat_state, "context");
  });

  test("204, item null, or no device: nothing", () => {
    assert.deepEqual(parsePlayerState(null), { type: "nothing" });
    assert.deepEqual(parsePlayerState(player({ item: null })), { type: "nothing" });
    assert.deepEqual(parsePlayerState(player({ device: undefined })), { type: "nothing" });
    assert.deepEqual(parsePlayerState(player({ device: null })), { type: "nothing" });
  });

  test("a private session records nothing, whatever plays", () => {
    assert.deepEqual(parsePlayerState(player({ device: device({ is_private_session: true }) })), {
      type: "private",
    });
  });

  test("ads (item null) and unknown are unsupported, not nothing", () => {
    assert.deepEqual(parsePlayerState(player({ item: null, context: null, currently_playing_type: "ad" })), {
      type: "unsupported",
      reason: "ad",
    });
    assert.deepEqual(parsePlayerState(player({ item: null, currently_playing_type: "unknown" })), {
      type: "unsupported",
      reason: "unknown",
    });
    // An item type we do not know (an audiobook chapter, say) is not a listen either.
    assert.deepEqual(
      parsePlayerState(
        player({ currently_playing_type: "track", item: { type: "chapter", id: "x", name: "Ch 1" } }),
      ),
      { type: "unsupported", reason: "unknown" },
    );
  });

  test("a local file: no ids, no images, keyed by its URI", () => {
    const uri = "spotify:local:Boards+of+Canada:Demo+Tape:Roygbiv:140";
    const obs = parsePlayerState(
      player({
        context: null,
        item: {
          album: {
            album_type: null,
            id: null,
            images: [],
            name: "Demo Tape",
            type: "album",
            uri: null,
            artists: [],
          },
          artists: [
            { external_urls: {}, href: null, id: null, name: "Boards of Canada", type: "artist", uri: null },
          ],
          available_markets: [],
          duration_ms: 140_000,
          explicit: false,
          external_ids: {},
          external_urls: {},
          href: null,
          id: null,
          is_local: true,
          name: "Roygbiv",
          popularity: 0,
          preview_url: null,
          type: "track",
          uri,
        },
      }),
    );
    assert.equal(obs.type, "item");
    if (obs.type !== "item") return;
    assert.equal(obs.item.key, uri);
    assert.equal(obs.item.kind, "local");
    assert.deepEqual(obs.item.artists, [{ id: null, name: "Boards of Canada" }]);
    assert.deepEqual(obs.item.album, { id: null, name: "Demo Tape", image_url: null });
    assert.equal(obs.item.url, null);
    assert.equal(obs.context, null);
  });

  test("an episode: the show stands in for artist and album, with the show's cover when the episode has none", () => {
    const episode = {
      audio_preview_url: null,
      description: "…",
      duration_ms: 3_600_000,
      explicit: true,
      external_urls: { spotify: "https://open.spotify.com/episode/512ojhOuo1ktJprKbVcKyQ" },
      id: "512ojhOuo1ktJprKbVcKyQ",
      images: [],
      name: "Episode 12",
      release_date: "2026-10-01",
      resume_point: { fully_played: false, resume_position_ms: 0 },
      type: "episode",
      uri: "spotify:episode:512ojhOuo1ktJprKbVcKyQ",
      show: {
        id: "38bS44xjbVVZ3No3ByF1dJ",
        name: "The Show",
        publisher: "Some Network",
        images: img("show"),
        type: "show",
      },
    };
    const obs = parsePlayerState(player({ item: episode, currently_playing_type: "episode" }));
    assert.equal(obs.type, "item");
    if (obs.type !== "item") return;
    assert.equal(obs.item.kind, "episode");
    assert.equal(obs.item.key, "512ojhOuo1ktJprKbVcKyQ");
    assert.deepEqual(obs.item.artists, [{ id: null, name: "Some Network" }]);
    assert.deepEqual(obs.item.album, {
      id: null,
      name: "The Show",
      image_url: "https://i.scdn.co/image/show-64",
    });
    assert.equal(obs.item.explicit, true);

    // Neither the episode nor its show has images; the show has no publisher.
    const bare = parsePlayerState(
      player({
        currently_playing_type: "episode",
        item: { ...episode, images: null, show: { id: "38bS44xjbVVZ3No3ByF1dJ", name: "The Show" } },
      }),
    );
    assert.equal(bare.type, "item");
    if (bare.type !== "item") return;
    assert.deepEqual(bare.item.album, { id: null, name: "The Show", image_url: null });
    assert.deepEqual(bare.item.artists, [{ id: null, name: "The Show" }]);
  });

  test("odd fields: missing album images, null preview, unknown repeat state, missing device type", () => {
    const item = { ...trackItem(), album: { ...trackItem().album, images: undefined }, preview_url: null };
    delete (item as { popularity?: number }).popularity;
    const obs = parsePlayerState(
      player({
        item,
        repeat_state: "shuffle-ish",
        shuffle_state: null,
        timestamp: null,
        device: { id: null, name: "Web Player", is_private_session: false },
        progress_ms: null,
      }),
    );
    assert.equal(obs.type, "item");
    if (obs.type !== "item") return;
    assert.equal(obs.item.album?.image_url, null);
    assert.equal(obs.repeat_state, null);
    assert.equal(obs.shuffle_state, null);
    assert.equal(obs.timestamp, null);
    assert.equal(obs.progress_ms, 0);
    assert.deepEqual(obs.device, { id: null, name: "Web Player", type: "Unknown" });
  });

  test("a body that is not a player state at all is rejected, not silently nothing", () => {
    assert.throws(() => parsePlayerState("<html>"));
    assert.throws(() => parsePlayerState({ device: device(), item: 42 }));
  });
});

describe("pickImage", () => {
  test("the smallest image of at least 64 px, else the last one", () => {
    assert.equal(pickImage(img("a")), "https://i.scdn.co/image/a-64");
    assert.equal(pickImage(img("a", [640, 300])), "https://i.scdn.co/image/a-300");
    assert.equal(pickImage(img("a", [300, 640, 64, 120])), "https://i.scdn.co/image/a-64");
    assert.equal(pickImage(img("a", [48, 32])), "https://i.scdn.co/image/a-32");
    assert.equal(
      pickImage([
        { url: "u1", width: null, height: null },
        { url: "u2", width: null, height: null },
      ]),
      "u2",
    );
    assert.equal(pickImage([]), null);
    assert.equal(pickImage(null), null);
  });
});

describe("recently played, artists, albums, tokens", () => {
  test("recently played: newest first, UTC, unreadable entries left out", () => {
    const body = recentlyPlayedSchema.parse({
      items: [
        { track: trackItem(), played_at: "2026-11-21T10:00:00.000Z", context: null },
        {
          track: { ...trackItem(), id: "1", name: "Later" },
          played_at: "2026-11-21T12:30:05.123+01:00",
          context: { type: "album", uri: "spotify:album:2noRn2Aes5aoNVsU6iWThc", href: null },
        },
        { track: trackItem(), played_at: "yesterday", context: null },
      ],
      next: "https://api.spotify.com/v1/me/player/recently-played?before=1",
      cursors: { after: "1795000000000", before: "1794990000000" },
      limit: 50,
      href: "https://api.spotify.com/v1/me/player/recently-played",
    });
    const plays = toRecentPlays(body);
    assert.equal(plays.length, 2);
    assert.deepEqual(
      plays.map((p) => [p.item.name, p.played_at]),
      [
        ["Later", "2026-11-21T11:30:05.123Z"],
        ["One More Time", "2026-11-21T10:00:00.000Z"],
      ],
    );
    assert.deepEqual(plays[0]?.context, { type: "album", uri: "spotify:album:2noRn2Aes5aoNVsU6iWThc" });
    assert.equal(plays[1]?.context, null);
  });

  test("artists: genres and popularity may be gone (2026 dev mode); batch null entries survive parsing", () => {
    const full = artistSchema.parse({
      external_urls: { spotify: "https://open.spotify.com/artist/4tZwfgrHOc3mvqYlEYSvVi" },
      followers: { href: null, total: 9_000_000 },
      genres: ["french house", "electro"],
      id: "4tZwfgrHOc3mvqYlEYSvVi",
      images: img("art"),
      name: "Daft Punk",
      popularity: 77,
      type: "artist",
    });
    assert.deepEqual(toArtistMetadata(full), {
      id: "4tZwfgrHOc3mvqYlEYSvVi",
      name: "Daft Punk",
      genres: ["french house", "electro"],
      popularity: 77,
      image_url: "https://i.scdn.co/image/art-64",
    });
    const trimmed = artistSchema.parse({ id: "x", name: "Trimmed", type: "artist" });
    assert.deepEqual(toArtistMetadata(trimmed), {
      id: "x",
      name: "Trimmed",
      genres: [],
      popularity: null,
      image_url: null,
    });
    const several = severalArtistsSchema.parse({ artists: [null, { id: "y", name: "Y", images: [] }] });
    assert.equal(several.artists[0], null);
    assert.equal(several.artists[1]?.name, "Y");
  });

  test("albums: label and images may be missing", () => {
    const album = albumSchema.parse({
      album_type: "single",
      artists: [{ id: "4tZwfgrHOc3mvqYlEYSvVi", name: "Daft Punk" }],
      id: "a1",
      images: null,
      name: "Single",
      release_date: "2001",
      release_date_precision: "year",
      total_tracks: 2,
      type: "album",
      tracks: { items: [] },
    });
    assert.deepEqual(toAlbumMetadata(album), {
      id: "a1",
      name: "Single",
      artists: [{ id: "4tZwfgrHOc3mvqYlEYSvVi", name: "Daft Punk" }],
      image_url: null,
      label: null,
      release_date: "2001",
      album_type: "single",
      total_tracks: 2,
    });
  });

  test("token answers: a refresh may omit refresh_token; an answer without access_token is refused", () => {
    const t = tokenResponseSchema.parse({
      access_token: "BQx",
      token_type: "Bearer",
      expires_in: 3600,
      scope: "a b",
    });
    assert.equal(t.refresh_token, undefined);
    assert.equal(t.expires_in, 3600);
    assert.equal(tokenResponseSchema.safeParse({ token_type: "Bearer", expires_in: 3600 }).success, false);
  });
});
