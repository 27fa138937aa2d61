import { HttpError, notFound } from "#shared/http/errors.ts";
import { matchRoute } from "#shared/http/match.ts";
import { httpHandler } from "#shared/http/middleware.ts";
import { defineRoute } from "#shared/http/route.ts";

/** API Gateway's `$default` route and the local server's fallback: a JSON 404 (or 405). */
const route = defineRoute({
  method: "GET",
  path: "$default",
  handler: "functions/not-found.ts",
  auth: "none",
  exposure: "public",
  summary: "Anything no route matches",
  tags: [],
  responses: {},
});

export const handler = httpHandler(route, async ({ event }) => {
  const method = event.requestContext.http.method;
  const path = event.rawPath;
  const match = matchRoute(method, path);
  if (match.kind === "method-not-allowed") {
    throw new HttpError(
      405,
      "method_not_allowed",
      `${method} is not allowed on ${path}; use ${match.allow.join(", ")}`,
      {
        headers: { Allow: match.allow.join(", ") },
      },
    );
  }
  throw notFound(`no route for ${method} ${path}; see /docs for the API`);
});
