import type * as z from "zod";
import type { Deps } from "../deps.ts";
import { notFound } from "../http/errors.ts";
import { type HttpReply, json } from "../http/middleware.ts";
import type {
  NowPlayingResponse,
  nowPlayingCardQuerySchema,
  recentlyPlayedCardQuerySchema,
  topArtistsCardQuerySchema,
  weeklyGridCardQuerySchema,
  yearCardPathSchema,
  yearCardQuerySchema,
} from "../http/schemas.ts";
import { svgReply } from "../http/svg-reply.ts";
import { artOptionsOf } from "./art.ts";
import {
  loadNowPlaying,
  loadNowPlayingCard,
  loadRecentRows,
  loadTopArtistRows,
  loadWeeklyGrid,
  loadYearCard,
} from "./data.ts";
import {
  renderNowPlayingCard,
  renderRecentlyPlayedCard,
  renderTopArtistsCard,
  renderWeeklyGridCard,
  renderYearCard,
} from "./svg.ts";

/**
 * The cards as HTTP answers, for whichever listener `deps` acts for: the owner's at
 * `/spotify/…svg`, anybody's public ones at `/u/{handle}/…svg` (the middleware picks `deps`).
 */
interface CardRequest<Q> {
  query: Q;
  deps: Deps;
  headers: Record<string, string | undefined>;
}

/** Now playing as JSON (`/spotify/now-playing` for the owner, `/me/now-playing` for the caller). */
export async function nowPlayingJsonReply({ deps }: { deps: Deps }): Promise<HttpReply> {
  const now = deps.clock();
  const { album_id: _key, ...view } = await loadNowPlaying(deps, now.getTime());
  return json({ ...view, fetched_at: now.toISOString() } satisfies NowPlayingResponse);
}

export async function nowPlayingCardReply({
  query,
  deps,
  headers,
}: CardRequest<z.infer<typeof nowPlayingCardQuerySchema>>): Promise<HttpReply> {
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
}

export async function recentlyPlayedCardReply({
  query,
  deps,
  headers,
}: CardRequest<z.infer<typeof recentlyPlayedCardQuerySchema>>): Promise<HttpReply> {
  const rows = await loadRecentRows(deps, query.limit, query.art, artOptionsOf(deps.config));
  const svg = renderRecentlyPlayedCard(rows, {
    theme: query.theme,
    width: query.width,
    nowMs: deps.clock().getTime(),
    showArt: query.art,
  });
  return svgReply(svg, headers);
}

export async function topArtistsCardReply({
  query,
  deps,
  headers,
}: CardRequest<z.infer<typeof topArtistsCardQuerySchema>>): Promise<HttpReply> {
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
}

export async function weeklyGridCardReply({
  query,
  deps,
  headers,
}: CardRequest<z.infer<typeof weeklyGridCardQuerySchema>>): Promise<HttpReply> {
  const nowMs = deps.clock().getTime();
  const grid = await loadWeeklyGrid(deps, query.tz, nowMs);
  return svgReply(renderWeeklyGridCard(grid, { theme: query.theme, width: query.width, nowMs }), headers);
}

/**
 * The year card, only for a listener who chose to share it (PATCH /me `year_card`): otherwise a
 * 404 like a card that does not exist, for everyone, the listener included (their own year is
 * on the dashboard). A year after the current one has nothing to show and is a 404 as well.
 */
export async function yearCardReply({
  query,
  path,
  deps,
  headers,
}: CardRequest<z.infer<typeof yearCardQuerySchema>> & {
  path: z.infer<typeof yearCardPathSchema>;
}): Promise<HttpReply> {
  const nowMs = deps.clock().getTime();
  const listener = await deps.household.getListener(deps.listener);
  if (!listener?.year_card) throw notFound("no shared year card here: its listener has not turned it on");
  if (path.file > Number(new Date(nowMs).toISOString().slice(0, 4)) + 1) {
    throw notFound(`${path.file} has not begun`);
  }
  const view = await loadYearCard(deps, path.file, query.tz, nowMs);
  return svgReply(renderYearCard(view, { theme: query.theme, width: query.width, nowMs }), headers);
}
