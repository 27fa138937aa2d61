import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Play, Track } from "#shared/domain/entities.ts";
import { syntheticAlbumId, syntheticArtistId } from "#shared/domain/names.ts";
import { PLAY_COLUMNS, parseCsv, playsToCsv } from "#shared/export/plays.ts";
import { finalize } from "#shared/import/importer.ts";
import {
  emptySkips,
  type ImportEntry,
  ImportFileError,
  parseImportFile,
  STREAMING_HISTORY_NAME,
  syntheticId,
} from "#shared/import/parse.ts";
import { readZip, ZipError } from "#shared/import/zip.ts";
import { accountRow, realShapedExport, trackRow } from "#test/support/exports.ts";
import { makeZip } from "#test/support/zip.ts";

const S = 1000;
const T0 = Date.parse("2024-03-01T08:00:00.000Z");
const at = (s: number) => new Date(T0 + s * S).toISOString();

const byId = (entries: ImportEntry[], id: string) =>
  entries.find((e) => e.play.track_id === id) ?? assert.fail(`${id} not parsed`);

function parseError(file: string, content: string | Uint8Array): ImportFileError {
  try {
    parseImportFile(file, content);
  } catch (err) {
    if (err instanceof ImportFileError) return err;
    throw err;
  }
  return assert.fail(`${file} parsed without an error`);
}

describe("Extended streaming history", () => {
  const parsed = parseImportFile("Streaming_History_Audio_2024.json", JSON.stringify(realShapedExport(T0)));

  test("is recognised, and every row is either a listen or skipped for a reason", () => {
    assert.equal(parsed.format, "spotify-extended");
    assert.equal(parsed.total, 12);
    assert.equal(parsed.entries.length, 8);
    assert.deepEqual(parsed.skipped, {
      ...emptySkips(),
      incognito: 1,
      zero_ms: 1,
      no_item: 1,
      duplicate_row: 1,
    });
  });

  test("a track: keyed by the URI's id, ts is the end, start = end − ms_played, estimated import", () => {
    const a = byId(parsed.entries, "4uLU6hMCjMI75M1A2tKUQC");
    assert.deepEqual(a.play, {
      track_id: "4uLU6hMCjMI75M1A2tKUQC",
      kind: "track",
      name: "Never Gonna Give You Up",
      artists: [{ id: syntheticArtistId("Rick Astley"), name: "Rick Astley" }],
      album_id: syntheticAlbumId("Rick Astley", "Whenever You Need Somebody"),
      listened_at: at(0),
      ended_at: at(200),
      listened_ms: 200_000,
      duration_ms: 0,
      counted: true,
      estimated: true,
      source: "import",
      device_name: "Android OS 14 API 34 (Google, Pixel 8)",
      device_type: null,
      context_type: null,
      context_uri: null,
      shuffle_state: true,
    });
    assert.deepEqual(a.track.album, {
      id: syntheticAlbumId("  rick astley", "WHENEVER you need somebody "),
      name: "Whenever You Need Somebody",
      image_url: null,
    });
    assert.match(a.track.album?.id ?? "", /^name:/, "artists and albums get ids from their names");
    assert.equal(a.track.uri, "spotify:track:4uLU6hMCjMI75M1A2tKUQC");
    assert.equal(a.index, 0, "the first of two identical rows is kept");
  });

  test("counted: the duration is unknown, so 30 s decides, trackdone or not", () => {
    const b = byId(parsed.entries, "B0000000000000000000bb");
    assert.equal(b.play.counted, false, "20 s, skipped forward");
    assert.equal(b.play.duration_ms, 0, "duration unknown");
    assert.equal(byId(parsed.entries, "C0000000000000000000cc").play.counted, true, "45 s, skipped forward");
    const d = byId(parsed.entries, "D0000000000000000000dd");
    assert.equal(d.play.counted, false, "15 s ending in trackdone: Spotify writes that for 2 s rows too");
    assert.equal(d.play.duration_ms, 0);
    assert.equal(d.track.duration_ms, 0, "no duration guessed from the rows");
  });

  test("a podcast episode is keyed by the episode id, the show standing in for artist and album", () => {
    const e = byId(parsed.entries, "5sYbCeaWGlM8dZ2WRJrX1b");
    assert.equal(e.play.kind, "episode");
    assert.equal(e.play.name, "Episode 12");
    assert.deepEqual(e.play.artists, [{ id: null, name: "A Podcast" }]);
    assert.equal(e.track.uri, "spotify:episode:5sYbCeaWGlM8dZ2WRJrX1b");
    assert.equal(e.play.listened_at, at(400));
  });

  test("two rows of one item ending at the same instant with different lengths are two listens", () => {
    const f = parsed.entries.filter((e) => e.play.track_id === "F0000000000000000000ff");
    assert.deepEqual(
      f.map((e) => [e.index, e.play.listened_ms]),
      [
        [10, 90_000],
        [9, 50_000],
      ],
    );
  });

  test("a local file is keyed by its URI, as live capture keys it", () => {
    const l = byId(parsed.entries, "spotify:local:Artist+X:Album+Y:Song+Z:215");
    assert.equal(l.play.kind, "local");
    assert.equal(l.play.name, "Song Z");
  });

  test("listens come out in end order", () => {
    const ends = parsed.entries.map((e) => e.play.ended_at);
    assert.deepEqual(ends, [...ends].sort());
    assert.equal(parsed.entries[0]?.play.track_id, "4uLU6hMCjMI75M1A2tKUQC");
  });

  test("a known track refines a listen: its details, its duration, and so whether it counts", () => {
    const b = byId(parsed.entries, "B0000000000000000000bb");
    const known: Track = {
      track_id: "B0000000000000000000bb",
      kind: "track",
      name: "B (live name)",
      uri: "spotify:track:B0000000000000000000bb",
      artists: [{ id: "artistX", name: "X" }],
      album: { id: "albumB", name: "B album", image_url: "http://img" },
      duration_ms: 36_000,
      listen_count: 1,
      skip_count: 0,
      listened_ms_total: 36_000,
      first_listened: at(-1000),
      last_listened: at(-1000),
    };
    const { play, track } = finalize(b, known);
    assert.equal(play.counted, true, "20 s of a 36 s track is more than half");
    assert.equal(play.duration_ms, 36_000);
    assert.deepEqual(play.artists, [{ id: "artistX", name: "X" }]);
    assert.equal(play.album_id, "albumB");
    assert.equal(play.listened_at, b.play.listened_at, "the key does not depend on the hoard");
    assert.deepEqual(track.album, known.album, "the track document is not degraded");
    assert.equal(finalize(b, null).play.counted, false);
  });
});

describe("older account-data export", () => {
  const end = Date.parse("2023-05-01T18:03:00Z");
  const rows = [
    accountRow(end, 215_000, "Rick Astley", "Never Gonna Give You Up"),
    accountRow(end + 600_000, 20_000, "  rick  ASTLEY", "never gonna give you up "),
    accountRow(end + 900_000, 0, "Rick Astley", "Together Forever"),
    accountRow(end + 1_200_000, 200_000, "Rick Astley", "Together Forever"),
  ];
  const parsed = parseImportFile("StreamingHistory0.json", JSON.stringify(rows));

  test("endTime is UTC at minute precision; items get a stable id from their names", () => {
    assert.equal(parsed.format, "spotify-account");
    assert.deepEqual(parsed.entries[0]?.play.artists, [
      { id: syntheticArtistId("Rick Astley"), name: "Rick Astley" },
    ]);
    assert.deepEqual(parsed.skipped, { ...emptySkips(), zero_ms: 1 });
    const [first, second, third] = parsed.entries;
    assert.equal(first?.play.ended_at, "2023-05-01T18:03:00.000Z");
    assert.equal(first?.play.listened_at, "2023-05-01T17:59:25.000Z");
    assert.match(first?.play.track_id ?? "", /^name:[A-Za-z0-9_-]{22}$/);
    assert.equal(first?.play.kind, "track");
    assert.equal(second?.play.track_id, first?.play.track_id, "case and spacing do not make another item");
    assert.notEqual(third?.play.track_id, first?.play.track_id);
    assert.equal(first?.play.track_id, syntheticId("Rick Astley", "Never Gonna Give You Up"));
    assert.equal(first?.play.counted, true);
    assert.equal(second?.play.counted, false, "20 s and no reason_end: below 30 s");
  });

  test("same-minute rows: identical ones are one listen, different msPlayed two; Unknown rows name nothing", () => {
    const t = Date.parse("2023-05-02T10:00:40Z");
    const p = parseImportFile(
      "StreamingHistory_music_1.json",
      JSON.stringify([
        accountRow(t, 5_000, "Rick Astley", "Never Gonna Give You Up"),
        accountRow(t + 10_000, 40_000, "Rick Astley", "Never Gonna Give You Up"),
        accountRow(t + 10_000, 40_000, "Rick Astley", "Never Gonna Give You Up"),
        accountRow(t, 100_000, "Unknown Artist", "Unknown Track"),
        accountRow(t, 100_000, "Unknown Artist", "Some Title"),
        accountRow(t, 100_000, "Somebody", "unknown track"),
      ]),
    );
    assert.deepEqual(p.skipped, { ...emptySkips(), no_item: 3, duplicate_row: 1 });
    assert.deepEqual(
      p.entries.map((e) => [e.play.ended_at, e.play.listened_ms, e.play.counted]),
      [
        ["2023-05-02T10:00:00.000Z", 40_000, true],
        ["2023-05-02T10:00:00.000Z", 5_000, false],
      ],
    );
  });

  test("the podcast file of the same export gives episodes", () => {
    const p = parseImportFile(
      "StreamingHistory_podcast_0.json",
      JSON.stringify([
        { endTime: "2023-06-02 07:30", podcastName: "A Podcast", episodeName: "Ep 1", msPlayed: 1_200_000 },
      ]),
    );
    assert.equal(p.format, "spotify-account-podcast");
    assert.equal(p.entries[0]?.play.kind, "episode");
    assert.deepEqual(p.entries[0]?.play.artists, [{ id: null, name: "A Podcast" }]);
  });
});

describe("files that are not a usable streaming history", () => {
  test("a truncated file names the file and the entry it breaks off in", () => {
    const rows = realShapedExport(T0);
    const text = JSON.stringify(rows, null, 2);
    const cut = text.slice(0, text.indexOf(rows[2]?.ts ?? "") + 8);
    const err = parseError("Streaming_History_Audio_2024_1.json", cut);
    assert.equal(err.file, "Streaming_History_Audio_2024_1.json");
    assert.equal(err.problems[0]?.entry, 2);
    assert.match(err.message, /^Streaming_History_Audio_2024_1\.json: entry \[2\]: .*truncated/);
  });

  test("a syntax error inside the file names its entry", () => {
    const text = JSON.stringify(realShapedExport(T0)).replace('"ms_played":45000', '"ms_played":45000,,');
    const err = parseError("x.json", text);
    assert.equal(err.problems[0]?.entry, 2);
    assert.match(err.message, /not valid JSON/);
  });

  test("Your Library (an object of saved items) is told apart", () => {
    const library = {
      tracks: [{ artist: "A", album: "B", track: "C", uri: "spotify:track:1" }],
      albums: [],
      shows: [],
      episodes: [],
      bannedTracks: [],
      artists: [],
      bannedArtists: [],
      other: [],
    };
    const err = parseError("YourLibrary.json", JSON.stringify(library));
    assert.equal(err.problems[0]?.entry, null);
    assert.match(
      err.message,
      /^YourLibrary\.json: is a JSON object .*YourLibrary\.json.*not a streaming history/,
    );
  });

  test("an array of something else (search queries) is refused at entry [0]", () => {
    const searches = [
      {
        platform: "ANDROID",
        searchTime: "2024-01-01T10:00:00.000Z[UTC]",
        searchQuery: "rick",
        searchInteractionURIs: [],
      },
    ];
    const err = parseError("SearchQueries.json", JSON.stringify(searches));
    assert.equal(err.problems[0]?.entry, 0);
    assert.match(err.message, /not a streaming-history entry \(it has platform, searchTime/);
  });

  test("malformed entries are named with their field; later ones are counted", () => {
    const rows: unknown[] = realShapedExport(T0);
    rows[3] = { ...(rows[3] as object), ms_played: "15000" };
    rows[5] = { ...(rows[5] as object), ts: "yesterday" };
    rows[7] = 42;
    const err = parseError("Streaming_History_Audio_2024.json", JSON.stringify(rows));
    assert.deepEqual(
      err.problems.map((p) => [p.entry, p.field]),
      [
        [3, "ms_played"],
        [5, "ts"],
        [7, null],
      ],
    );
    assert.match(err.message, /entry \[3\] field ms_played: .*\(and 2 more problems\)$/);
    assert.match(err.problems[2]?.message ?? "", /is a number, expected an object/);
  });

  test("an empty file, and a binary one, are refused; an empty array is an empty history", () => {
    assert.match(parseError("a.json", "  \n").message, /is empty/);
    assert.match(parseError("b.json", makeZip([{ name: "x", data: "y" }])).message, /is not text/);
    const empty = parseImportFile("c.json", "[]");
    assert.equal(empty.format, "empty");
    assert.equal(empty.total, 0);
  });
});

describe("our own export", () => {
  const plays: Play[] = [
    {
      track_id: "4uLU6hMCjMI75M1A2tKUQC",
      kind: "track",
      name: 'Say "Hello", World\r\nsecond line',
      artists: [
        { id: "a1", name: "Crosby, Stills & Nash" },
        { id: null, name: "" },
      ],
      album_id: "al1",
      listened_at: "2024-03-01T08:00:00.123Z",
      ended_at: "2024-03-01T08:03:20.456Z",
      listened_ms: 200_333,
      duration_ms: 213_000,
      counted: true,
      estimated: false,
      source: "poll",
      device_name: "",
      device_type: "Computer",
      context_type: "playlist",
      context_uri: "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M",
      shuffle_state: null,
    },
    {
      track_id: "spotify:local:A:B:C:100",
      kind: "local",
      name: "  padded  ",
      artists: [],
      album_id: null,
      listened_at: "2024-03-01T09:00:00.000Z",
      ended_at: "2024-03-01T09:00:10.000Z",
      listened_ms: 10_000,
      duration_ms: 100_000,
      counted: false,
      estimated: true,
      source: "backfill",
      device_name: null,
      device_type: null,
      context_type: null,
      context_uri: null,
      shuffle_state: false,
    },
  ];
  const sorted = (ps: Play[]) => [...ps].sort((a, b) => (a.ended_at < b.ended_at ? -1 : 1));

  test("CSV reads back to the very same plays (quotes, commas, newlines, empty vs null)", () => {
    const parsed = parseImportFile("plays.csv", playsToCsv(plays));
    assert.equal(parsed.format, "hoardify");
    assert.deepEqual(
      parsed.entries.map((e) => e.play),
      sorted(plays),
    );
    assert.equal(parsed.entries[0]?.refine, false, "our own plays are taken as they are");
  });

  test("concatenated CSV pages (a header each) read as one file", () => {
    const [p1, p2] = plays;
    const text = playsToCsv(p1 ? [p1] : []) + playsToCsv(p2 ? [p2] : []);
    assert.equal(parseImportFile("plays.csv", text).entries.length, 2);
  });

  test("JSON: an array of plays, or one saved page of GET /export/plays.json", () => {
    assert.deepEqual(
      parseImportFile("plays.json", JSON.stringify(plays)).entries.map((e) => e.play),
      sorted(plays),
    );
    const page = JSON.stringify({ items: plays, next_cursor: null });
    assert.equal(parseImportFile("page.json", page).entries.length, 2);
  });

  test("a truncated CSV names the row it breaks off in", () => {
    const csv = playsToCsv(plays);
    const inQuotes = parseError("plays.csv", csv.slice(0, csv.indexOf("second line")));
    assert.equal(inQuotes.problems[0]?.entry, 0);
    assert.match(inQuotes.message, /never closed \(truncated file\?\)/);
    const lines = csv.split("\r\n");
    const midRow = parseError(
      "plays.csv",
      `${csv.slice(0, csv.lastIndexOf("\r\n", csv.length - 3))}\r\n${(lines[3] ?? "").slice(0, 30)}`,
    );
    assert.equal(midRow.problems[0]?.entry, 1);
    assert.match(midRow.message, /has \d+ cells, the header 17/);
  });

  test("a CSV that is not ours says which columns it lacks", () => {
    const err = parseError("other.csv", "date,song\r\n2024-01-01,x\r\n");
    assert.match(err.message, /not a hoardify CSV export: the header lacks track_id, kind/);
  });

  test("a bad cell is named by entry and column", () => {
    const csv = playsToCsv(plays).replace(",200333,", ",200.5,");
    const err = parseError("plays.csv", csv);
    assert.deepEqual([err.problems[0]?.entry, err.problems[0]?.field], [0, "listened_ms"]);
  });
});

describe("Spotify's zip", () => {
  const files = [
    {
      name: "Spotify Extended Streaming History/Streaming_History_Audio_2024.json",
      data: JSON.stringify(realShapedExport(T0)),
    },
    {
      name: "Spotify Extended Streaming History/ReadMeFirst_ExtendedStreamingHistory.pdf",
      data: "%PDF-1.4",
      store: true,
    },
    { name: "Spotify Account Data/StreamingHistory_music_0.json", data: "[]", store: true },
    { name: "MyData/endsong_0.json", data: "[]" },
    { name: "MyData/endsong.json.bak", data: "[]" },
    { name: "Spotify Account Data/Userdata.json", data: "{}" },
  ];

  test("members are listed and unpacked (deflated and stored)", () => {
    const zip = readZip(makeZip(files), "my_spotify_data.zip");
    assert.deepEqual(
      zip.map((m) => m.name),
      files.map((f) => f.name),
    );
    assert.equal(zip[0]?.read().toString(), files[0]?.data);
    assert.equal(zip[2]?.read().toString(), "[]");
    assert.deepEqual(
      zip.filter((m) => STREAMING_HISTORY_NAME.test(m.name)).map((m) => m.name.split("/")[1]),
      ["Streaming_History_Audio_2024.json", "StreamingHistory_music_0.json", "endsong_0.json"],
    );
  });

  test("a truncated or damaged zip is an error, never half a file", () => {
    const buf = makeZip(files);
    assert.throws(
      () => readZip(buf.subarray(0, buf.length - 40), "cut.zip"),
      (e: unknown) => {
        assert.ok(e instanceof ZipError);
        assert.match(e.message, /^cut\.zip: not a zip archive, or a truncated one/);
        return true;
      },
    );
    const damaged = Buffer.from(buf);
    const at = damaged.indexOf("%PDF");
    damaged[at] = "X".charCodeAt(0);
    const members = readZip(damaged, "bad.zip");
    assert.throws(
      () => members[1]?.read(),
      /ReadMeFirst_ExtendedStreamingHistory\.pdf is damaged \(size or CRC mismatch\)/,
    );
  });
});

describe("implausible rows are rejected, counted, never listed", () => {
  const NOW = Date.parse("2026-11-21T12:00:00.000Z");
  const row = (o: { end: number; ms: number; id?: string; reason_end?: string }) =>
    trackRow({ id: o.id ?? "R0000000000000000000rr", name: "R", artist: "X", ...o });
  const parse = (rows: unknown[]) =>
    parseImportFile("Streaming_History_Audio_x.json", JSON.stringify(rows), { nowMs: NOW });

  test("ms_played beyond the duration, or beyond 24 h when it is unknown", () => {
    const end = Date.parse("2025-01-01T12:00:00.000Z");
    const p = parse([
      row({ end, ms: 100_000_000_000_000, reason_end: "fwdbtn" }), // issue 10: year −1142
      row({ end, ms: Number.MAX_SAFE_INTEGER, reason_end: "fwdbtn" }), // beyond Date's range
      row({ end: end + 1, ms: 86_400_001, reason_end: "fwdbtn" }),
      row({ end: end + 2, ms: 86_400_000, reason_end: "fwdbtn" }), // a day exactly: kept
    ]);
    assert.deepEqual(p.skipped, { ...emptySkips(), ms_played_too_long: 3 });
    assert.deepEqual(
      p.entries.map((e) => e.play.listened_ms),
      [86_400_000],
    );
  });

  test("listens before 2008 or ending more than a day after now", () => {
    const p = parse([
      { ...row({ end: 0, ms: 1000 }), ts: "0001-01-01T00:00:00Z" },
      { ...row({ end: 0, ms: 1000 }), ts: "9999-12-31T23:59:59Z" },
      row({ end: Date.parse("2008-01-01T00:00:00.500Z"), ms: 1000 }), // starts 2007-12-31
      row({ end: NOW + 86_400_000 + 1000, ms: 1000 }), // ts has whole seconds
      row({ end: Date.parse("2008-01-01T00:00:01.000Z"), ms: 1000, id: "K1000000000000000000kk" }),
      row({ end: NOW + 86_400_000, ms: 1000, id: "K2000000000000000000kk" }),
    ]);
    assert.deepEqual(p.skipped, { ...emptySkips(), time_out_of_range: 4 });
    assert.deepEqual(p.entries.map((e) => e.play.track_id).sort(), [
      "K1000000000000000000kk",
      "K2000000000000000000kk",
    ]);
  });

  test("our own export: listened_ms over duration_ms, or a play from year 1, is refused too", () => {
    const good = parseImportFile("ok.json", JSON.stringify(realShapedExport(T0)), { nowMs: NOW }).entries[0];
    assert.ok(good);
    const plays = [
      { ...good.play, listened_ms: 200_001, duration_ms: 200_000 },
      { ...good.play, listened_at: "0001-01-01T00:00:00.000Z", ended_at: "0001-01-01T00:01:00.000Z" },
      good.play,
    ];
    const p = parseImportFile("plays.json", JSON.stringify(plays), { nowMs: NOW });
    assert.deepEqual(p.skipped, { ...emptySkips(), ms_played_too_long: 1, time_out_of_range: 1 });
    assert.equal(p.entries.length, 1);
  });

  test("an account-data endTime that is no real date is a problem naming it, not a crash", () => {
    const err = parseError(
      "StreamingHistory0.json",
      JSON.stringify([{ ...accountRow(T0, 60_000, "A", "B"), endTime: "2023-02-30 10:00" }]),
    );
    assert.equal(err.problems[0]?.field, "endTime");
  });
});

describe("CSV export cells a spreadsheet would run", () => {
  test("are prefixed with an apostrophe, and read back as they were", () => {
    const good = parseImportFile("ok.json", JSON.stringify(realShapedExport(T0))).entries[0];
    assert.ok(good);
    const names = ['=HYPERLINK("http://x")', "+1", "-ly", "@SUM(A1)", "\tx", "\rx", "'=x", "'x", "plain"];
    const plays = names.map((name, i) => ({
      ...good.play,
      name,
      listened_at: new Date(T0 + i).toISOString(),
    }));
    const csv = playsToCsv(plays);
    const cells = parseCsv(csv)
      .slice(1)
      .map((r) => r[PLAY_COLUMNS.indexOf("name")]?.text);
    assert.deepEqual(cells, [
      '\'=HYPERLINK("http://x")',
      "'+1",
      "'-ly",
      "'@SUM(A1)",
      "'\tx",
      "'\rx",
      "''=x",
      "'x",
      "plain",
    ]);
    const back = parseImportFile("plays.csv", csv).entries.map((e) => e.play.name);
    assert.deepEqual(back.sort(), [...names].sort());
  });
});
