import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { SPOTIFY_IMAGE_HOSTS } from "../config.ts";
import { ASSETS_PREFIX } from "./pages.ts";

/**
 * The dashboard's built files as the serving function sees them: a directory holding the
 * content-hashed files, a gzip and a brotli copy of each, and `manifest.json` (written by
 * infra/web/build.ts, at `npm start` and when CDK bundles the web function).
 */

export interface WebManifest {
  /** What the shell loads: the entry script and its stylesheet. */
  readonly entry: { readonly js: string; readonly css: string | null };
  /** Every servable file (hashed name) → its content type and sizes. */
  readonly files: Readonly<Record<string, { type: string; bytes: number; gzip: number; brotli: number }>>;
}

export const MANIFEST_FILE = "manifest.json";

/** A hashed name: `main-ABCD1234.js`. Anything else is never looked up on disk. */
export const ASSET_NAME = /^[A-Za-z0-9_-]{1,100}\.(js|css|svg|png|woff2)$/;

export const ASSET_TYPES: Readonly<Record<string, string>> = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  woff2: "font/woff2",
};

/** Hashed names change with their content: a year, never revalidated. */
export const IMMUTABLE = "public, max-age=31536000, immutable";

/**
 * The shell's policy: scripts, styles and requests only from this origin (no inline script or
 * style: the bundle sets styles through the DOM), album art from Spotify's image CDNs, never
 * framed.
 */
export const SHELL_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  `img-src 'self' data: ${SPOTIFY_IMAGE_HOSTS.map((h) => `https://${h}`).join(" ")}`,
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join("; ");

const escapeAttr = (v: string) => v.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");

/** The one HTML page every dashboard path answers with; the script draws the page the path names. */
export function renderShell(manifest: WebManifest): string {
  const asset = (name: string) => escapeAttr(`${ASSETS_PREFIX}${name}`);
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    "<title>hoardify</title>",
    // No favicon request (it would 404): an empty data: icon.
    '<link rel="icon" href="data:,">',
    ...(manifest.entry.css ? [`<link rel="stylesheet" href="${asset(manifest.entry.css)}">`] : []),
    `<script type="module" src="${asset(manifest.entry.js)}"></script>`,
    "</head>",
    "<body>",
    '<div id="app"></div>',
    "<noscript><p>The hoardify dashboard needs JavaScript; the API is described at /docs.</p></noscript>",
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

export interface WebFile {
  body: Buffer;
  type: string;
  encoding: "br" | "gzip" | null;
}

/** The encoding to send: brotli, then gzip, when the client accepts it (q=0 refuses). */
export function pickEncoding(acceptEncoding: string | undefined): "br" | "gzip" | null {
  const accepted = new Set(
    (acceptEncoding ?? "")
      .split(",")
      .map((part) => part.trim().toLowerCase())
      .filter((part) => !/;\s*q=0(\.0*)?$/.test(part))
      .map((part) => part.split(";")[0]?.trim()),
  );
  if (accepted.has("br")) return "br";
  if (accepted.has("gzip") || accepted.has("*")) return "gzip";
  return null;
}

/** The built files in `dir`, read once per process (a Lambda container serves many requests). */
export function webAssets(dir: string) {
  let manifest: Promise<WebManifest> | undefined;
  const bodies = new Map<string, Promise<Buffer>>();
  const read = (name: string): Promise<Buffer> => {
    const known = bodies.get(name);
    if (known) return known;
    const body = readFile(join(dir, name));
    // A failed read is not remembered: the next request tries again.
    body.catch(() => bodies.delete(name));
    bodies.set(name, body);
    return body;
  };
  return {
    manifest(): Promise<WebManifest> {
      if (manifest) return manifest;
      const loading = readFile(join(dir, MANIFEST_FILE), "utf8").then((t) => JSON.parse(t) as WebManifest);
      // Not built yet is not remembered either: `npm start` may build it a moment later.
      loading.catch(() => {
        manifest = undefined;
      });
      manifest = loading;
      return loading;
    },
    /** A listed file in the encoding asked for; null for a name the manifest does not list. */
    async file(name: string, encoding: "br" | "gzip" | null): Promise<WebFile | null> {
      const entry = (await this.manifest()).files[name];
      if (!ASSET_NAME.test(name) || !entry) return null;
      const suffix = encoding === "br" ? ".br" : encoding === "gzip" ? ".gz" : "";
      return { body: await read(`${name}${suffix}`), type: entry.type, encoding };
    },
  };
}
