import * as z from "zod";
import type { Config } from "../config.ts";
import { jsonOf } from "../net/exchange.ts";
import { type IntegrationHttpOptions, integrationSender, unexpectedAnswer } from "./faults.ts";

/**
 * LRCLIB (https://lrclib.net, no key). `GET /api/get` matches a signature exactly — track,
 * artist, album and duration (± 2 s), all four of which the hoard knows — and answers 404
 * when it has no such record; `GET /api/search` is the looser fallback (a different album
 * edition, a remaster's title). Parsing is tolerant: only what we keep is required.
 */

const recordSchema = z.object({
  id: z.number().optional(),
  trackName: z.string().nullish(),
  artistName: z.string().nullish(),
  albumName: z.string().nullish(),
  duration: z.number().nullish(),
  instrumental: z.boolean().nullish(),
  plainLyrics: z.string().nullish(),
  syncedLyrics: z.string().nullish(),
});
type LrclibRecord = z.infer<typeof recordSchema>;

export interface FoundLyrics {
  plain: string | null;
  synced: string | null;
  instrumental: boolean;
  /** LRCLIB's record id (a link back: https://lrclib.net/api/get/<id>). */
  lrclib_id: number | null;
  /** "get": the exact signature; "search": the fallback's best candidate. */
  matched_by: "get" | "search";
}

export interface LyricsQuery {
  track: string;
  artist: string;
  album?: string | null;
  /** Seconds; null when unknown (a Genius song), then the search decides. */
  durationSeconds?: number | null;
}

export interface LrclibClient {
  /** Lyrics for a song, or null when LRCLIB has none (not an error: cached as "not found"). */
  find(q: LyricsQuery): Promise<FoundLyrics | null>;
}

const hasText = (r: LrclibRecord) => Boolean(r.plainLyrics?.trim() || r.syncedLyrics?.trim());

function toFound(r: LrclibRecord, matched_by: FoundLyrics["matched_by"]): FoundLyrics {
  const synced = r.syncedLyrics?.trim() ? r.syncedLyrics : null;
  // Some records only carry synced lines: their text without the [mm:ss.xx] stamps is the plain one.
  const plain = r.plainLyrics?.trim()
    ? r.plainLyrics
    : synced
      ? synced
          .split("\n")
          .map((l) => l.replace(/^(\[\d+:\d+(?:[.:]\d+)?\])+\s?/, ""))
          .join("\n")
          .trim()
      : null;
  return {
    plain: plain ?? null,
    synced: synced ?? null,
    instrumental: r.instrumental === true && !hasText(r),
    lrclib_id: r.id ?? null,
    matched_by,
  };
}

const norm = (s: string | null | undefined) =>
  (s ?? "")
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim();

/**
 * The search candidate to trust: the same artist (first credited, loosely compared), a
 * duration within 3 s when we know ours, then text before instrumental and synced before plain.
 */
export function bestCandidate(q: LyricsQuery, candidates: readonly LrclibRecord[]): LrclibRecord | null {
  const artist = norm(q.artist);
  const usable = candidates.filter((c) => {
    const a = norm(c.artistName);
    if (artist !== "" && a !== "" && !a.includes(artist) && !artist.includes(a)) return false;
    if (q.durationSeconds != null && c.duration != null && Math.abs(c.duration - q.durationSeconds) > 3)
      return false;
    return hasText(c) || c.instrumental === true;
  });
  const score = (c: LrclibRecord) => (hasText(c) ? 2 : 0) + (c.syncedLyrics?.trim() ? 1 : 0);
  return usable.reduce<LrclibRecord | null>(
    (best, c) => (best === null || score(c) > score(best) ? c : best),
    null,
  );
}

export function createLrclibClient(
  config: Pick<Config, "LRCLIB_API_URL">,
  opts: IntegrationHttpOptions = {},
): LrclibClient {
  const send = integrationSender("lrclib", opts);
  const base = config.LRCLIB_API_URL;

  async function getJson(path: string, params: Record<string, string>): Promise<unknown | null> {
    const res = await send(`${base}${path}?${new URLSearchParams(params)}`, {
      method: "GET",
      headers: { accept: "application/json" },
    });
    if (res.status === 404) return null;
    if (res.status !== 200) throw unexpectedAnswer("lrclib", path, res.status);
    return jsonOf(res.text);
  }

  return {
    async find(q) {
      if (q.album && q.durationSeconds != null) {
        const exact = recordSchema.safeParse(
          await getJson("/get", {
            track_name: q.track,
            artist_name: q.artist,
            album_name: q.album,
            duration: String(Math.round(q.durationSeconds)),
          }),
        );
        if (exact.success && (hasText(exact.data) || exact.data.instrumental))
          return toFound(exact.data, "get");
      }
      const list = z
        .array(z.unknown())
        .safeParse(await getJson("/search", { track_name: q.track, artist_name: q.artist }));
      if (!list.success) return null;
      const candidates = list.data.flatMap((c) => {
        const r = recordSchema.safeParse(c);
        return r.success ? [r.data] : [];
      });
      const best = bestCandidate(q, candidates);
      return best ? toFound(best, "search") : null;
    },
  };
}
