import { nowPlayingJsonReply } from "#shared/cards/replies.ts";
import { httpHandler } from "#shared/http/middleware.ts";
import { householdRoutes } from "#shared/http/routes/household.ts";

export const handler = httpHandler(householdRoutes.meNowPlaying, nowPlayingJsonReply);
