import { httpHandler } from "#shared/http/middleware.ts";
import { buildOpenApi } from "#shared/http/openapi.ts";
import { systemRoutes } from "#shared/http/routes/system.ts";

let doc: string | undefined;

export const handler = httpHandler(systemRoutes.openapi, async () => {
  // The document depends only on code: build it once per container.
  doc ??= JSON.stringify(buildOpenApi());
  return {
    text: doc,
    headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "public, max-age=300" },
  };
});
