import { artOptionsOf } from "#shared/cards/art.ts";
import { loadRecentRows } from "#shared/cards/data.ts";
import { renderRecentlyPlayedCard } from "#shared/cards/svg.ts";
import { httpHandler } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";
import { svgReply } from "#shared/http/svg-reply.ts";

export const handler = httpHandler(routes.spotifyRecentlyPlayedSvg, async ({ query, deps, headers }) => {
  const rows = await loadRecentRows(deps, query.limit, query.art, artOptionsOf(deps.config));
  const svg = renderRecentlyPlayedCard(rows, {
    theme: query.theme,
    width: query.width,
    nowMs: deps.clock().getTime(),
    showArt: query.art,
  });
  return svgReply(svg, headers);
});
