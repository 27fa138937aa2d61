import * as z from "zod";
import type { Config } from "../config.ts";
import { jsonOf } from "../net/exchange.ts";
import {
  type IntegrationHttpOptions,
  integrationSender,
  requireSetting,
  unexpectedAnswer,
} from "./faults.ts";

/**
 * The Genius API (bearer GENIUS_ACCESS_TOKEN): song search, artists, an artist's songs by
 * release date, a song's metadata and page link. Genius answers `{meta, response}`; parsing
 * keeps only what we show, tolerant of everything else. Lyrics never come from here (Genius
 * serves them only as web pages, which we do not scrape): LRCLIB has them by title and artist.
 */

const artistSchema = z.object({
  id: z.number(),
  name: z.string(),
  image_url: z.string().nullish(),
  url: z.string().nullish(),
});
const songSchema = z.object({
  id: z.number(),
  title: z.string(),
  full_title: z.string().nullish(),
  url: z.string().nullish(),
  song_art_image_url: z.string().nullish(),
  release_date_for_display: z.string().nullish(),
  release_date: z.string().nullish(),
  primary_artist: artistSchema,
  album: z.object({ id: z.number().nullish(), name: z.string() }).nullish(),
});
const envelope = z.object({ response: z.unknown() });

export interface GeniusArtist {
  id: number;
  name: string;
  image_url: string | null;
  url: string | null;
}
export interface GeniusSong {
  id: number;
  title: string;
  full_title: string | null;
  url: string | null;
  image_url: string | null;
  release_date: string | null;
  artist: GeniusArtist;
  album: string | null;
}

const toArtist = (a: z.infer<typeof artistSchema>): GeniusArtist => ({
  id: a.id,
  name: a.name,
  image_url: a.image_url ?? null,
  url: a.url ?? null,
});
const toSong = (s: z.infer<typeof songSchema>): GeniusSong => ({
  id: s.id,
  title: s.title,
  full_title: s.full_title ?? null,
  url: s.url ?? null,
  image_url: s.song_art_image_url ?? null,
  release_date: s.release_date ?? s.release_date_for_display ?? null,
  artist: toArtist(s.primary_artist),
  album: s.album?.name ?? null,
});

/** Genius' placeholder for an artist without a picture: not an image worth showing. */
const isPlaceholder = (url: string | null) => url === null || url === "" || /default_avatar/i.test(url);

export const AUTOCOMPLETE_LIMIT = 8;

export interface GeniusClient {
  /** Artists whose songs match `q`, in Genius' order of relevance (each once). */
  searchArtists(q: string): Promise<GeniusArtist[]>;
  /** Up to 8 artists with a picture, for a search box. */
  autocomplete(q: string): Promise<GeniusArtist[]>;
  /** null when Genius knows no such artist. */
  artist(id: number): Promise<GeniusArtist | null>;
  artistSongs(
    id: number,
    page: number,
    perPage: number,
  ): Promise<{ songs: GeniusSong[]; next_page: number | null } | null>;
  song(id: number): Promise<GeniusSong | null>;
}

export function createGeniusClient(
  config: Pick<Config, "GENIUS_ACCESS_TOKEN" | "GENIUS_API_URL">,
  opts: IntegrationHttpOptions = {},
): GeniusClient {
  const send = integrationSender("genius", opts);
  const base = config.GENIUS_API_URL;

  async function get<T extends z.ZodType>(path: string, params: Record<string, string>, schema: T) {
    const token = requireSetting("genius", config);
    const qs = new URLSearchParams(params).toString();
    const res = await send(`${base}${path}${qs ? `?${qs}` : ""}`, {
      method: "GET",
      headers: { authorization: `Bearer ${token}`, accept: "application/json" },
    });
    if (res.status === 404) return null;
    if (res.status !== 200) throw unexpectedAnswer("genius", path.replace(/\d+/g, "{id}"), res.status);
    const body = envelope.safeParse(jsonOf(res.text));
    const parsed = schema.safeParse(body.success ? body.data.response : undefined);
    if (!parsed.success)
      throw unexpectedAnswer("genius", path.replace(/\d+/g, "{id}"), 200, "unexpected payload");
    return parsed.data as z.infer<T>;
  }

  const hitsSchema = z.object({
    hits: z.array(z.object({ type: z.string().optional(), result: z.unknown() })),
  });

  async function searchArtists(q: string): Promise<GeniusArtist[]> {
    const found = await get("/search", { q }, hitsSchema);
    const artists = new Map<number, GeniusArtist>();
    for (const hit of found?.hits ?? []) {
      if (hit.type !== undefined && hit.type !== "song") continue;
      const song = songSchema.safeParse(hit.result);
      if (song.success && !artists.has(song.data.primary_artist.id)) {
        artists.set(song.data.primary_artist.id, toArtist(song.data.primary_artist));
      }
    }
    return [...artists.values()];
  }

  return {
    searchArtists,
    async autocomplete(q) {
      return (await searchArtists(q)).filter((a) => !isPlaceholder(a.image_url)).slice(0, AUTOCOMPLETE_LIMIT);
    },
    async artist(id) {
      const r = await get(`/artists/${id}`, {}, z.object({ artist: artistSchema }));
      return r ? toArtist(r.artist) : null;
    },
    async artistSongs(id, page, perPage) {
      const r = await get(
        `/artists/${id}/songs`,
        { sort: "release_date", page: String(page), per_page: String(perPage) },
        z.object({ songs: z.array(z.unknown()), next_page: z.number().nullish() }),
      );
      if (!r) return null;
      const songs = r.songs.flatMap((s) => {
        const p = songSchema.safeParse(s);
        return p.success ? [toSong(p.data)] : [];
      });
      return { songs, next_page: r.next_page ?? null };
    },
    async song(id) {
      const r = await get(`/songs/${id}`, {}, z.object({ song: songSchema }));
      return r ? toSong(r.song) : null;
    },
  };
}
