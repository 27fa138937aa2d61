import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * Test-only fakes of the three lyrics/mood integrations, over real HTTP on 127.0.0.1, emitting
 * their documented JSON shapes:
 * - LRCLIB: `GET /api/get` (exact signature, duration ± 2 s, 404 `{code, name, message}`) and
 *   `GET /api/search` (a list, possibly empty).
 * - Genius: `{meta, response}` envelopes for /search, /artists/{id}, /artists/{id}/songs and
 *   /songs/{id}; 401 without the right bearer.
 * - Hugging Face Inference: POST /<model> → `[[{label, score}, …]]` for every GoEmotions label,
 *   scores a pure function of the text (so a test can predict them); 503 `{error,
 *   estimated_time}` while "loading".
 * Each can be told to answer the next requests with a fault (429 + Retry-After, 503, a hang),
 * and counts the requests it served (the cost bench reads the counts).
 */

type Fault =
  | { status: 429; retryAfter: number }
  | { status: 500 }
  | { status: 503; estimatedTime: number }
  | { hang: true };

interface FakeBase {
  url: string;
  /** Requests served, by path (`/api/get`, `/songs/{id}`, …) and in total. */
  calls: Map<string, number>;
  total(): number;
  /** The next `times` requests answer this fault instead. */
  fail(fault: Fault, times?: number): void;
  /** Headers of the last request. */
  lastHeaders: IncomingMessage["headers"];
  close(): Promise<void>;
}

async function serve(
  name: string,
  handle: (req: IncomingMessage, url: URL, body: string, res: ServerResponse) => void,
  pathKey: (url: URL) => string = (u) => u.pathname,
): Promise<FakeBase> {
  const faults: Fault[] = [];
  const calls = new Map<string, number>();
  const hung = new Set<ServerResponse>();
  const base: Partial<FakeBase> = { calls, lastHeaders: {} };
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://fake");
      base.lastHeaders = req.headers;
      const key = pathKey(url);
      calls.set(key, (calls.get(key) ?? 0) + 1);
      const fault = faults.shift();
      if (fault) {
        if ("hang" in fault) {
          hung.add(res);
          return;
        }
        if (fault.status === 429) {
          res.writeHead(429, { "content-type": "application/json", "retry-after": String(fault.retryAfter) });
          res.end(JSON.stringify({ error: "Too Many Requests" }));
          return;
        }
        if (fault.status === 503) {
          res.writeHead(503, { "content-type": "application/json" });
          res.end(
            JSON.stringify({
              error: `Model ${name} is currently loading`,
              estimated_time: fault.estimatedTime,
            }),
          );
          return;
        }
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: "internal" }));
        return;
      }
      handle(req, url, body, res);
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const port = (server.address() as AddressInfo).port;
  return Object.assign(base, {
    url: `http://127.0.0.1:${port}`,
    total: () => [...calls.values()].reduce((a, b) => a + b, 0),
    fail(fault: Fault, times = 1) {
      for (let i = 0; i < times; i++) faults.push(fault);
    },
    close: () =>
      new Promise<void>((ok) => {
        for (const r of hung) r.destroy();
        server.closeAllConnections();
        server.close(() => ok());
      }),
  }) as FakeBase;
}

const sendJson = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
};

// ------------------------------------------------------------------ LRCLIB

export interface LrclibSong {
  trackName: string;
  artistName: string;
  albumName: string;
  /** Seconds. */
  duration: number;
  plainLyrics: string | null;
  syncedLyrics: string | null;
  instrumental: boolean;
}

export interface FakeLrclib extends FakeBase {
  add(song: LrclibSong): number;
}

const lower = (s: string | null) => (s ?? "").toLowerCase();

export async function startFakeLrclib(): Promise<FakeLrclib> {
  const songs: (LrclibSong & { id: number })[] = [];
  const record = (s: LrclibSong & { id: number }) => ({ ...s, name: s.trackName });
  const base = await serve("lrclib", (_req, url, _body, res) => {
    const q = url.searchParams;
    if (url.pathname === "/api/get") {
      const found = songs.find(
        (s) =>
          lower(s.trackName) === lower(q.get("track_name")) &&
          lower(s.artistName) === lower(q.get("artist_name")) &&
          lower(s.albumName) === lower(q.get("album_name")) &&
          Math.abs(s.duration - Number(q.get("duration"))) <= 2,
      );
      if (!found) {
        sendJson(res, 404, { code: 404, name: "TrackNotFound", message: "Failed to find specified track" });
        return;
      }
      sendJson(res, 200, record(found));
      return;
    }
    if (url.pathname === "/api/search") {
      const track = lower(q.get("track_name") ?? q.get("q"));
      const artist = lower(q.get("artist_name"));
      sendJson(
        res,
        200,
        songs
          .filter(
            (s) =>
              lower(s.trackName).includes(track) && (artist === "" || lower(s.artistName).includes(artist)),
          )
          .map(record),
      );
      return;
    }
    sendJson(res, 404, { code: 404, name: "NotFound", message: "no such route" });
  });
  return Object.assign(base, {
    add(song: LrclibSong) {
      const id = 1000 + songs.length;
      songs.push({ ...song, id });
      return id;
    },
  });
}

// ------------------------------------------------------------------ Hugging Face

export const GO_EMOTIONS = [
  "admiration",
  "amusement",
  "anger",
  "annoyance",
  "approval",
  "caring",
  "confusion",
  "curiosity",
  "desire",
  "disappointment",
  "disapproval",
  "disgust",
  "embarrassment",
  "excitement",
  "fear",
  "gratitude",
  "grief",
  "joy",
  "love",
  "nervousness",
  "optimism",
  "pride",
  "realization",
  "relief",
  "remorse",
  "sadness",
  "surprise",
  "neutral",
] as const;

/**
 * The fake model: a word naming a label ("joy", "sadness", "love") lifts it, every other label
 * gets a small score derived from the text's hash. Deterministic, so tests can predict it.
 */
export function fakeScores(text: string): { label: string; score: number }[] {
  const words = new Set(text.toLowerCase().split(/[^a-z]+/));
  const hash = createHash("sha256").update(text).digest();
  return GO_EMOTIONS.map((label, i) => ({
    label,
    score: words.has(label) ? 0.9 - i / 1000 : ((hash[i] ?? 0) + 1) / 2560,
  })).sort((a, b) => b.score - a.score);
}

export interface FakeHf extends FakeBase {
  /** The texts the model was asked to classify, in order. */
  inputs: string[];
}

export async function startFakeHf(token = "hf_test"): Promise<FakeHf> {
  const inputs: string[] = [];
  const base = await serve(
    "hf",
    (req, _url, body, res) => {
      if (req.method !== "POST") return sendJson(res, 405, { error: "POST only" });
      if (req.headers.authorization !== `Bearer ${token}`)
        return sendJson(res, 401, { error: "Invalid credentials in Authorization header" });
      let parsed: { inputs?: unknown };
      try {
        parsed = JSON.parse(body);
      } catch {
        return sendJson(res, 400, { error: "body is not JSON" });
      }
      if (typeof parsed.inputs !== "string") return sendJson(res, 400, { error: "inputs must be a string" });
      inputs.push(parsed.inputs);
      sendJson(res, 200, [fakeScores(parsed.inputs)]);
    },
    () => "/models",
  );
  return Object.assign(base, { inputs });
}

// ------------------------------------------------------------------ Genius

export interface GeniusFakeSong {
  id: number;
  title: string;
  artist: { id: number; name: string; image_url: string };
  release_date: string | null;
  album: string | null;
}

export interface FakeGenius extends FakeBase {
  add(song: GeniusFakeSong): void;
}

export async function startFakeGenius(token = "genius_test"): Promise<FakeGenius> {
  const songs: GeniusFakeSong[] = [];
  const songJson = (s: GeniusFakeSong) => ({
    id: s.id,
    title: s.title,
    full_title: `${s.title} by ${s.artist.name}`,
    url: `https://genius.com/songs/${s.id}`,
    song_art_image_url: `https://images.genius.com/${s.id}.jpg`,
    release_date_for_display: s.release_date,
    release_date: s.release_date,
    primary_artist: { ...s.artist, url: `https://genius.com/artists/${s.artist.id}`, is_verified: false },
    album: s.album ? { id: s.id * 10, name: s.album } : null,
    stats: { pageviews: 1 },
  });
  const ok = (res: ServerResponse, response: unknown) =>
    sendJson(res, 200, { meta: { status: 200 }, response });
  const missing = (res: ServerResponse) =>
    sendJson(res, 404, { meta: { status: 404, message: "Not found" } });
  const base = await serve(
    "genius",
    (req, url, _body, res) => {
      if (req.headers.authorization !== `Bearer ${token}`) {
        return sendJson(res, 401, { meta: { status: 401, message: "This call requires an access_token." } });
      }
      const parts = url.pathname.split("/").filter(Boolean);
      if (parts[0] === "search") {
        const q = lower(url.searchParams.get("q"));
        const hits = songs
          .filter((s) => lower(s.title).includes(q) || lower(s.artist.name).includes(q))
          .map((s) => ({ index: "song", type: "song", result: songJson(s) }));
        return ok(res, { hits });
      }
      if (parts[0] === "artists" && parts[1]) {
        const id = Number(parts[1]);
        const theirs = songs.filter((s) => s.artist.id === id);
        if (theirs.length === 0) return missing(res);
        if (parts[2] === "songs") {
          const page = Number(url.searchParams.get("page") ?? 1);
          const per = Number(url.searchParams.get("per_page") ?? 20);
          const sorted = [...theirs].sort((a, b) =>
            lower(a.release_date).localeCompare(lower(b.release_date)),
          );
          const slice = sorted.slice((page - 1) * per, page * per);
          return ok(res, {
            songs: slice.map(songJson),
            next_page: page * per < sorted.length ? page + 1 : null,
          });
        }
        const a = (theirs[0] as GeniusFakeSong).artist;
        return ok(res, { artist: { ...a, url: `https://genius.com/artists/${a.id}` } });
      }
      if (parts[0] === "songs" && parts[1]) {
        const s = songs.find((x) => x.id === Number(parts[1]));
        return s ? ok(res, { song: songJson(s) }) : missing(res);
      }
      missing(res);
    },
    (u) => u.pathname.replace(/\d+/g, "{id}"),
  );
  return Object.assign(base, {
    add(song: GeniusFakeSong) {
      songs.push(song);
    },
  });
}

// ------------------------------------------------------------------ all three

export interface LyricsFakes {
  lrclib: FakeLrclib;
  hf: FakeHf;
  genius: FakeGenius;
  /** The app settings that point at them (tokens included). */
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startLyricsFakes(): Promise<LyricsFakes> {
  const [lrclib, hf, genius] = await Promise.all([startFakeLrclib(), startFakeHf(), startFakeGenius()]);
  return {
    lrclib,
    hf,
    genius,
    env: {
      LRCLIB_API_URL: `${lrclib.url}/api`,
      HF_API_URL: `${hf.url}/models`,
      HF_TOKEN: "hf_test",
      GENIUS_API_URL: genius.url,
      GENIUS_ACCESS_TOKEN: "genius_test",
    },
    close: async () => {
      await Promise.all([lrclib.close(), hf.close(), genius.close()]);
    },
  };
}
