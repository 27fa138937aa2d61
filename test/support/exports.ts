/**
 * Rows shaped like Spotify's data downloads, for import tests and the import bench. Field names
 * and value shapes follow Spotify's "Understanding my data" page and real files: every Extended
 * row carries every field (nulls where it does not apply), `ts` is the end of the stream in UTC
 * with second precision, the older account-data rows have minute precision.
 */

import { seeded } from "./rng.ts";

export interface ExtendedRow {
  ts: string;
  username?: string;
  platform: string | null;
  ms_played: number;
  conn_country: string | null;
  ip_addr: string | null;
  user_agent_decrypted?: string | null;
  master_metadata_track_name: string | null;
  master_metadata_album_artist_name: string | null;
  master_metadata_album_album_name: string | null;
  spotify_track_uri: string | null;
  episode_name: string | null;
  episode_show_name: string | null;
  spotify_episode_uri: string | null;
  audiobook_title: string | null;
  audiobook_uri: string | null;
  audiobook_chapter_uri: string | null;
  audiobook_chapter_title: string | null;
  reason_start: string | null;
  reason_end: string | null;
  shuffle: boolean | null;
  skipped: boolean | null;
  offline: boolean | null;
  offline_timestamp: number | null;
  incognito_mode: boolean | null;
}

const NONE = {
  episode_name: null,
  episode_show_name: null,
  spotify_episode_uri: null,
  audiobook_title: null,
  audiobook_uri: null,
  audiobook_chapter_uri: null,
  audiobook_chapter_title: null,
};

/** `ts` as Spotify writes it: whole seconds, `Z`. */
export const spotifyTs = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;

export function trackRow(o: {
  end: number;
  ms: number;
  id: string;
  name: string;
  artist: string;
  album?: string;
  reason_end?: string;
  incognito?: boolean;
  shuffle?: boolean;
  platform?: string;
}): ExtendedRow {
  return {
    ts: spotifyTs(o.end),
    platform: o.platform ?? "android",
    ms_played: o.ms,
    conn_country: "SE",
    ip_addr: "192.0.2.10",
    master_metadata_track_name: o.name,
    master_metadata_album_artist_name: o.artist,
    master_metadata_album_album_name: o.album ?? `${o.name} (album)`,
    spotify_track_uri: `spotify:track:${o.id}`,
    ...NONE,
    reason_start: "trackdone",
    reason_end: o.reason_end ?? "trackdone",
    shuffle: o.shuffle ?? false,
    skipped: o.reason_end !== undefined && o.reason_end !== "trackdone",
    offline: false,
    offline_timestamp: Math.floor(o.end / 1000) - 200,
    incognito_mode: o.incognito ?? false,
  };
}

export function episodeRow(o: {
  end: number;
  ms: number;
  id: string;
  name: string;
  show: string;
}): ExtendedRow {
  return {
    ts: spotifyTs(o.end),
    platform: "ios",
    ms_played: o.ms,
    conn_country: "SE",
    ip_addr: "192.0.2.10",
    master_metadata_track_name: null,
    master_metadata_album_artist_name: null,
    master_metadata_album_album_name: null,
    spotify_track_uri: null,
    ...NONE,
    episode_name: o.name,
    episode_show_name: o.show,
    spotify_episode_uri: `spotify:episode:${o.id}`,
    reason_start: "clickrow",
    reason_end: "endplay",
    shuffle: false,
    skipped: false,
    offline: false,
    offline_timestamp: null,
    incognito_mode: false,
  };
}

export function audiobookRow(end: number, ms: number): ExtendedRow {
  return {
    ...episodeRow({ end, ms, id: "x", name: "x", show: "x" }),
    episode_name: null,
    episode_show_name: null,
    spotify_episode_uri: null,
    audiobook_title: "A Long Book",
    audiobook_uri: "spotify:show:0000000000000000000000",
    audiobook_chapter_uri: "spotify:episode:1111111111111111111111",
    audiobook_chapter_title: "Chapter 1",
  };
}

/** `endTime` as the older account-data export writes it: "yyyy-MM-dd HH:mm", UTC. */
export const accountEndTime = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace("T", " ");

export function accountRow(end: number, ms: number, artistName: string, trackName: string) {
  return { endTime: accountEndTime(end), artistName, trackName, msPlayed: ms };
}

const S = 1000;

/**
 * A real-shaped Extended export (12 rows): 7 listens (tracks, a podcast episode, a local file),
 * one incognito row, one with ms_played 0, an audiobook chapter, an exact duplicate row and two
 * rows of one track ending at the same second. Of the listens, all but B (20 s, skipped) count.
 */
export function realShapedExport(T0: number) {
  const A = {
    id: "4uLU6hMCjMI75M1A2tKUQC",
    name: "Never Gonna Give You Up",
    artist: "Rick Astley",
    album: "Whenever You Need Somebody",
  };
  const rowA = trackRow({
    ...A,
    end: T0 + 200 * S,
    ms: 200_000,
    shuffle: true,
    platform: "Android OS 14 API 34 (Google, Pixel 8)",
  });
  return [
    rowA,
    trackRow({
      end: T0 + 230 * S,
      ms: 20_000,
      id: "B0000000000000000000bb",
      name: "B",
      artist: "X",
      reason_end: "fwdbtn",
    }),
    trackRow({
      end: T0 + 290 * S,
      ms: 45_000,
      id: "C0000000000000000000cc",
      name: "C",
      artist: "X",
      reason_end: "fwdbtn",
    }),
    trackRow({ end: T0 + 310 * S, ms: 15_000, id: "D0000000000000000000dd", name: "Jingle", artist: "X" }),
    episodeRow({
      end: T0 + 2000 * S,
      ms: 1_600_000,
      id: "5sYbCeaWGlM8dZ2WRJrX1b",
      name: "Episode 12",
      show: "A Podcast",
    }),
    trackRow({
      end: T0 + 2300 * S,
      ms: 180_000,
      id: "I0000000000000000000ii",
      name: "Secret",
      artist: "Y",
      incognito: true,
    }),
    trackRow({
      end: T0 + 2301 * S,
      ms: 0,
      id: "Z0000000000000000000zz",
      name: "Zero",
      artist: "Y",
      reason_end: "unknown",
    }),
    { ...rowA },
    audiobookRow(T0 + 3000 * S, 60_000),
    trackRow({
      end: T0 + 4000 * S,
      ms: 50_000,
      id: "F0000000000000000000ff",
      name: "F",
      artist: "Z",
      reason_end: "fwdbtn",
    }),
    trackRow({
      end: T0 + 4000 * S,
      ms: 90_000,
      id: "F0000000000000000000ff",
      name: "F",
      artist: "Z",
      reason_end: "fwdbtn",
    }),
    {
      ...trackRow({
        end: T0 + 5000 * S,
        ms: 215_000,
        id: "x",
        name: "Song Z",
        artist: "Artist X",
        album: "Album Y",
      }),
      spotify_track_uri: "spotify:local:Artist+X:Album+Y:Song+Z:215",
    },
  ];
}

/**
 * A deterministic Extended export of `n` rows over `tracks` tracks, one play every ~4 minutes.
 * `prefix` names other tracks (ids and titles) by the same artists.
 */
export function generatedExport(
  n: number,
  opts: { start?: number; tracks?: number; seed?: number; prefix?: string } = {},
) {
  const prefix = opts.prefix ?? "gen";
  const start = opts.start ?? Date.parse("2020-01-01T00:00:00Z");
  const tracks = opts.tracks ?? 5000;
  let seed = opts.seed ?? 42;
  const rand = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };
  const rows: ExtendedRow[] = [];
  let t = start;
  for (let i = 0; i < n; i++) {
    const k = Math.floor(rand() ** 2 * tracks);
    const full = 120_000 + (k % 180) * 1000;
    const done = rand() < 0.7;
    const ms = done ? full : Math.floor(rand() * full);
    t += ms + Math.floor(rand() * 60_000) + (rand() < 0.02 ? 8 * 3_600_000 : 0);
    rows.push(
      trackRow({
        end: t,
        ms,
        id: `${prefix}${String(k).padStart(22 - prefix.length, "0")}`,
        name: `${prefix === "gen" ? "" : `${prefix} `}Track ${k}`,
        artist: `Artist ${k % 700}`,
        reason_end: done ? "trackdone" : "fwdbtn",
      }),
    );
  }
  return rows;
}

/** A file of Spotify's export, named as in the download. */
export interface ExportFile {
  name: string;
  rows: unknown[];
}

/**
 * A person's whole download in the three shapes real ones come in, carrying the quirks real
 * files have (issue 16): two `Streaming_History_Audio_*` years whose boundary rows repeat, an
 * older `endsong_N.json` year, and a `StreamingHistory_music_N` account file. Among the rows:
 * `trackdone` rows of 1.9 s and 5.2 s (Spotify writes them for tracks skipped at once), short
 * tracks of one artist, same-minute pairs with different `msPlayed` (and one identical pair),
 * "Unknown Artist" / "Unknown Track" rows, incognito, zero and no-metadata rows, a podcast
 * episode, and one song present in both the Extended and the account format.
 */
export function quirkyDownload(seed: number, rowsPerYear = 60): ExportFile[] {
  const { next, int, pick } = seeded(seed);
  const artists = ["Rick Astley", "Kylie Minogue", "Bananarama", "Dead or Alive", "Sinitta"];
  const songs = artists.flatMap((artist, a) =>
    [0, 1, 2, 3].map((n) => ({
      artist,
      name: `${artist.split(" ")[0]} song ${n}`,
      album: `${artist} ${n < 2 ? "Hits" : "Live"}`,
      id: `q${a}${n}`.padEnd(22, "0"),
      // The last two of the first artist are jingles under a minute.
      full: a === 0 && n >= 2 ? 40_000 + n * 5_000 : 150_000 + int(0, 150) * 1000,
    })),
  );
  const extendedYear = (year: number, count: number): ExtendedRow[] => {
    const rows: ExtendedRow[] = [];
    let t = Date.UTC(year, 0, 1, 6);
    for (let i = 0; i < count; i++) {
      const s = pick(songs);
      const r = next();
      const ms = r < 0.1 ? pick([1_900, 5_200]) : r < 0.3 ? int(1, s.full) : r < 0.35 ? 30_000 : s.full;
      const done = ms === s.full || ms < 6_000;
      t += ms + int(0, 3) * 60_000 + (next() < 0.05 ? 3 * 86_400_000 : 0);
      rows.push(trackRow({ ...s, end: t, ms, reason_end: done ? "trackdone" : "fwdbtn" }));
    }
    const at = (k: number) => Date.UTC(year, 5, 1, 12) + k * 600_000;
    rows.push(
      trackRow({ ...(songs[1] as (typeof songs)[number]), end: at(1), ms: 90_000, incognito: true }),
      trackRow({ ...(songs[2] as (typeof songs)[number]), end: at(2), ms: 0 }),
      audiobookRow(at(3), 600_000),
      episodeRow({ end: at(4), ms: 1_200_000, id: `ep${year}`.padEnd(22, "0"), name: "Ep", show: "A Show" }),
    );
    return rows;
  };
  const y2021 = extendedYear(2021, rowsPerYear);
  const y2022 = extendedYear(2022, rowsPerYear);
  const older = extendedYear(2019, rowsPerYear);

  // The account file (2023): its own rows, minute precision, with the quirks of real ones.
  const account: ReturnType<typeof accountRow>[] = [];
  let t = Date.UTC(2023, 2, 1, 7);
  for (let i = 0; i < 50; i++) {
    const s = pick(songs);
    t += 60_000 * int(1, 6);
    account.push(accountRow(t, next() < 0.3 ? int(1_000, 40_000) : s.full, s.artist, s.name));
  }
  const pairAt = Date.UTC(2023, 4, 2, 20, 15, 30);
  const s0 = songs[0] as (typeof songs)[number];
  account.push(
    // Two listens of one song ending in one minute; then an exact copy of a row.
    accountRow(pairAt, 12_000, s0.artist, s0.name),
    accountRow(pairAt + 20_000, 35_000, s0.artist, s0.name),
    accountRow(pairAt + 20_000, 35_000, s0.artist, s0.name),
    accountRow(pairAt + 600_000, 180_000, "Unknown Artist", "Unknown Track"),
    accountRow(pairAt + 900_000, 180_000, "Unknown Artist", "Unknown Track"),
  );
  return [
    { name: "Spotify Extended Streaming History/Streaming_History_Audio_2021.json", rows: y2021 },
    // The next year's file repeats the last rows of the one before, as real downloads do.
    {
      name: "Spotify Extended Streaming History/Streaming_History_Audio_2022.json",
      rows: [...y2021.slice(-6), ...y2022],
    },
    { name: "MyData/endsong_0.json", rows: older },
    { name: "Spotify Account Data/StreamingHistory_music_0.json", rows: account },
  ];
}
