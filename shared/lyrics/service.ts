import type { Deps } from "../deps.ts";
import type { Track } from "../domain/entities.ts";
import { NotFoundError } from "../errors.ts";
import { lyricsQueryOf, recordOf } from "./analysis.ts";
import { createEmotionClient, type EmotionScore, prepareText } from "./emotions.ts";
import type { IntegrationHttpOptions } from "./faults.ts";
import { createGeniusClient, type GeniusSong } from "./genius.ts";
import { createLrclibClient, type LyricsQuery } from "./lrclib.ts";
import type { LyricsRecord, TrackEmotions } from "./store.ts";

/**
 * What the lyrics routes do, between the handlers (thin) and the clients. A request waits at
 * most this long for a cold Hugging Face model before answering 503 with Retry-After.
 */
export const REQUEST_MODEL_WAIT_MS = 15_000;

type LyricsDeps = Pick<Deps, "config" | "store" | "lyrics" | "clock">;

/** A stored record is fresh unless it is a "not found" past its retry date. */
const fresh = (r: LyricsRecord | null, nowMs: number): r is LyricsRecord =>
  r !== null && !(r.status === "not_found" && Date.parse(r.retry_after) <= nowMs);

async function lookUp(deps: LyricsDeps, q: LyricsQuery, http: IntegrationHttpOptions): Promise<LyricsRecord> {
  return recordOf(await createLrclibClient(deps.config, http).find(q), deps.clock().getTime());
}

function notFoundLyrics(what: string, r: LyricsRecord): Error {
  return new NotFoundError(
    `LRCLIB has no lyrics for ${what}${r.status === "not_found" ? `; it is asked again after ${r.retry_after}` : ""}`,
  );
}

function lyricsBody(r: Exclude<LyricsRecord, { status: "not_found" }>) {
  return r.status === "found"
    ? {
        status: r.status,
        plain: r.plain,
        synced: r.synced,
        lrclib_id: r.lrclib_id,
        matched_by: r.matched_by,
        fetched_at: r.fetched_at,
      }
    : {
        status: r.status,
        plain: null,
        synced: null,
        lrclib_id: r.lrclib_id,
        matched_by: null,
        fetched_at: r.fetched_at,
      };
}

const emotionsBody = (e: TrackEmotions | null) =>
  e === null || e.source === "instrumental"
    ? null
    : { source: e.source, model: e.model, analyzed_at: e.analyzed_at, scores: e.scores };

/**
 * GET /lyrics/{track_id}: what is stored; on a miss, one LRCLIB lookup now (cached for ever,
 * "not found" for 30 days). The emotions come from the background analysis, never from here.
 */
export async function trackLyrics(deps: LyricsDeps, trackId: string, http: IntegrationHttpOptions = {}) {
  const [track, stored, emotions] = await Promise.all([
    deps.store.getTrack(trackId),
    deps.lyrics.getLyrics(trackId),
    deps.lyrics.getEmotions(trackId),
  ]);
  if (!track) throw new NotFoundError(`no track ${trackId} in the hoard`);
  let record = stored;
  if (!fresh(record, deps.clock().getTime())) {
    record = await lookUp(deps, lyricsQueryOf(track), http);
    await deps.lyrics.putLyrics(trackId, record);
  }
  if (record.status === "not_found") throw notFoundLyrics(describe(track), record);
  return {
    track_id: trackId,
    name: track.name,
    artists: track.artists.map((a) => a.name),
    source: "lrclib" as const,
    ...lyricsBody(record),
    emotions: emotionsBody(emotions),
  };
}

const describe = (t: Pick<Track, "name" | "artists">) =>
  `"${t.name}"${t.artists[0] ? ` by ${t.artists[0].name}` : ""}`;

/** POST /analyze-lyrics: the text's emotions, best first (Personalify's route). */
export async function analyzeText(
  deps: Pick<Deps, "config">,
  text: string,
  http: IntegrationHttpOptions = {},
) {
  const client = createEmotionClient(deps.config, http);
  const prepared = prepareText(text);
  const scores = await client.classify(prepared.text === "" ? text.trim() : prepared.text, {
    maxWaitMs: REQUEST_MODEL_WAIT_MS,
  });
  return { model: client.model, truncated: prepared.truncated, emotions: scores };
}

// ------------------------------------------------------------------ Genius

export const geniusClientOf = (deps: Pick<Deps, "config">, http: IntegrationHttpOptions = {}) =>
  createGeniusClient(deps.config, http);

/**
 * GET /genius/lyrics/{song_id}: the song's metadata from Genius, its lyrics from LRCLIB by
 * title and artist, and their emotions; kept in DynamoDB, so a song costs one analysis ever.
 */
export async function geniusLyrics(
  deps: Pick<Deps, "config" | "store" | "lyrics" | "clock">,
  songId: number,
  http: IntegrationHttpOptions = {},
) {
  const song = await geniusClientOf(deps, http).song(songId);
  if (!song) throw new NotFoundError(`Genius knows no song ${songId}`);
  const stored = await deps.lyrics.getGeniusLyrics(songId);
  const now = deps.clock().getTime();
  let lyrics = stored?.lyrics ?? null;
  if (!fresh(lyrics, now)) lyrics = await lookUp(deps, { track: song.title, artist: song.artist.name }, http);
  let emotions = stored?.emotions ?? null;
  const model = deps.config.HF_MODEL;
  const plain = lyrics.status === "found" ? (lyrics.plain ?? "").trim() : "";
  if (
    deps.config.HF_TOKEN &&
    lyrics.status !== "instrumental" &&
    (emotions === null || emotions.model !== model)
  ) {
    const analysed = await analyzeText(deps, plain !== "" ? plain : song.title, http);
    emotions = {
      model: analysed.model,
      source: plain !== "" ? "lyrics" : "title",
      scores: analysed.emotions,
    };
  }
  if (stored === null || stored.lyrics !== lyrics || stored.emotions !== emotions) {
    await deps.lyrics.putGeniusLyrics({ song_id: songId, lyrics, emotions });
  }
  return {
    song: songBody(song),
    lyrics: lyrics.status === "not_found" ? null : lyricsBody(lyrics),
    lyrics_retry_after: lyrics.status === "not_found" ? lyrics.retry_after : null,
    emotions: emotions ? { ...emotions, scores: emotions.scores satisfies EmotionScore[] } : null,
    emotions_note: deps.config.HF_TOKEN
      ? lyrics.status === "instrumental"
        ? "instrumental: no emotions"
        : null
      : "set HF_TOKEN to analyse emotions",
  };
}

export const songBody = (s: GeniusSong) => ({
  id: s.id,
  title: s.title,
  full_title: s.full_title,
  url: s.url,
  image_url: s.image_url,
  release_date: s.release_date,
  album: s.album,
  artist: s.artist,
});
