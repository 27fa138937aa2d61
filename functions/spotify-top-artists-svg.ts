import { topArtistsCardReply } from "#shared/cards/replies.ts";
import { httpHandler } from "#shared/http/middleware.ts";
import { cardsRoutes } from "#shared/http/routes/cards.ts";

export const handler = httpHandler(cardsRoutes.spotifyTopArtistsSvg, topArtistsCardReply);
