import { recentlyPlayedCardReply } from "#shared/cards/replies.ts";
import { httpHandler } from "#shared/http/middleware.ts";
import { cardsRoutes } from "#shared/http/routes/cards.ts";

export const handler = httpHandler(cardsRoutes.spotifyRecentlyPlayedSvg, recentlyPlayedCardReply);
