import { artOptionsOf } from "#shared/cards/art.ts";
import { loadNowPlayingCard } from "#shared/cards/data.ts";
import { renderNowPlayingCard } from "#shared/cards/svg.ts";
import { httpHandler } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";
import { svgReply } from "#shared/http/svg-reply.ts";

export const handler = httpHandler(routes.spotifyNowPlayingSvg, async ({ query, deps, headers }) => {
  const nowMs = deps.clock().getTime();
  const { view, art } = await loadNowPlayingCard(deps, nowMs, query.art, artOptionsOf(deps.config));
  const svg = renderNowPlayingCard(view, {
    theme: query.theme,
    width: query.width,
    nowMs,
    showProgress: query.show_progress,
    showArt: query.art,
    art,
  });
  return svgReply(svg, headers);
});
