import { notFound } from "#shared/http/errors.ts";
import { httpHandler, json } from "#shared/http/middleware.ts";
import { lyricsRoutes } from "#shared/http/routes/lyrics.ts";
import { geniusClientOf, songBody } from "#shared/lyrics/service.ts";

export const handler = httpHandler(lyricsRoutes.geniusArtistSongs, async ({ path, query, deps }) => {
  const genius = geniusClientOf(deps);
  const [artist, page] = await Promise.all([
    genius.artist(path.id),
    genius.artistSongs(path.id, query.page, query.per_page),
  ]);
  if (!artist || !page) throw notFound(`Genius knows no artist ${path.id}`);
  return json({ artist, page: query.page, next_page: page.next_page, songs: page.songs.map(songBody) });
});
