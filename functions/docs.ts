import { renderDocsPage } from "#shared/http/docs-page.ts";
import { httpHandler } from "#shared/http/middleware.ts";
import { buildOpenApi } from "#shared/http/openapi.ts";
import { systemRoutes } from "#shared/http/routes/system.ts";

let page: string | undefined;

export const handler = httpHandler(systemRoutes.docs, async () => {
  page ??= renderDocsPage(buildOpenApi());
  return {
    text: page,
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      "Cache-Control": "public, max-age=300",
      "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    },
  };
});
