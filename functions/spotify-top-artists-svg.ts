import { artOptionsOf } from "#shared/cards/art.ts";
import { loadTopArtistRows } from "#shared/cards/data.ts";
import { renderTopArtistsCard } from "#shared/cards/svg.ts";
import { httpHandler } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";
import { svgReply } from "#shared/http/svg-reply.ts";

export const handler = httpHandler(routes.spotifyTopArtistsSvg, async ({ query, deps, headers }) => {
  const nowMs = deps.clock().getTime();
  const rows = await loadTopArtistRows(
    deps,
    query.range,
    query.limit,
    nowMs,
    query.art,
    artOptionsOf(deps.config),
  );
  const svg = renderTopArtistsCard(rows, {
    theme: query.theme,
    width: query.width,
    nowMs,
    showArt: query.art,
    range: query.range,
  });
  return svgReply(svg, headers);
});
