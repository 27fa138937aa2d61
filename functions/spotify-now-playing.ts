import { nowPlayingJsonReply } from "#shared/cards/replies.ts";
import { httpHandler } from "#shared/http/middleware.ts";
import { spotifyRoutes } from "#shared/http/routes/spotify.ts";

export const handler = httpHandler(spotifyRoutes.spotifyNowPlaying, nowPlayingJsonReply);
