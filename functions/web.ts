import { fileURLToPath } from "node:url";
import type { APIGatewayProxyEventV2, Context } from "aws-lambda";
import { notFound, unavailable } from "#shared/http/errors.ts";
import { type HttpReply, type HttpResult, httpHandler } from "#shared/http/middleware.ts";
import { routeKeyOf } from "#shared/http/route.ts";
import { webRoutes } from "#shared/http/routes/web.ts";
import { IMMUTABLE, pickEncoding, renderShell, SHELL_CSP, webAssets } from "#shared/web/assets.ts";

/**
 * The dashboard, served by one function behind three routes: the HTML shell at `/` and at every
 * page under /app/ (so a reload or a shared link opens that page), and the content-hashed files
 * under /assets/. On Lambda the files sit in `web/` next to this bundle (infra/cdk/stack.ts
 * copies them there); `npm start` builds them and names the directory in WEB_ASSETS_DIR.
 */

let assets: { dir: string; files: ReturnType<typeof webAssets> } | undefined;
const assetsIn = (configured: string | undefined) => {
  const dir = configured ?? fileURLToPath(new URL("./web/", import.meta.url));
  if (assets?.dir !== dir) assets = { dir, files: webAssets(dir) };
  return assets.files;
};

async function manifestOf(files: ReturnType<typeof webAssets>) {
  try {
    return await files.manifest();
  } catch (err) {
    throw unavailable(
      `the dashboard is not built into this deployment (${(err as NodeJS.ErrnoException).code ?? "unreadable"}); run infra/web/build.ts`,
      "not_configured",
    );
  }
}

let shell: { html: string; manifest: object } | undefined;
const shellReply = async (configured: string | undefined): Promise<HttpReply> => {
  const manifest = await manifestOf(assetsIn(configured));
  if (shell?.manifest !== manifest) shell = { html: renderShell(manifest), manifest };
  return {
    text: shell.html,
    headers: {
      "Content-Type": "text/html; charset=utf-8",
      // Always asked again: a deploy changes the hashed names the shell points at.
      "Cache-Control": "no-cache",
      "Content-Security-Policy": SHELL_CSP,
      "Referrer-Policy": "same-origin",
    },
  };
};

const home = httpHandler(webRoutes.web, async ({ deps }) => shellReply(deps.config.WEB_ASSETS_DIR));
const page = httpHandler(webRoutes.webPage, async ({ deps }) => shellReply(deps.config.WEB_ASSETS_DIR));
const asset = httpHandler(webRoutes.webAsset, async ({ deps, path, headers }) => {
  const files = assetsIn(deps.config.WEB_ASSETS_DIR);
  await manifestOf(files);
  const file = await files.file(path.file, pickEncoding(headers["accept-encoding"]));
  if (!file) throw notFound(`no dashboard file ${JSON.stringify(path.file)} in this build`);
  return {
    // Bodies are bytes (compressed, or not text at all): base64 through the Lambda response.
    text: file.body.toString("base64"),
    base64: true,
    headers: {
      "Content-Type": file.type,
      "Cache-Control": IMMUTABLE,
      Vary: "Accept-Encoding",
      ...(file.encoding ? { "Content-Encoding": file.encoding } : {}),
    },
  };
});

const byRouteKey: Record<string, (event: APIGatewayProxyEventV2, context: Context) => Promise<HttpResult>> = {
  [routeKeyOf(webRoutes.web)]: home,
  [routeKeyOf(webRoutes.webPage)]: page,
  [routeKeyOf(webRoutes.webAsset)]: asset,
};

export const handler = (event: APIGatewayProxyEventV2, context: Context): Promise<HttpResult> => {
  const serve = byRouteKey[event.routeKey] ?? home;
  return serve(event, context);
};
