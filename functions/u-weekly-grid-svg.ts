import { weeklyGridCardReply } from "#shared/cards/replies.ts";
import { httpHandler } from "#shared/http/middleware.ts";
import { routes } from "#shared/http/routes.ts";

export const handler = httpHandler(routes.userWeeklyGridSvg, weeklyGridCardReply);
