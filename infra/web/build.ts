/**
 * Builds the dashboard (web/) with esbuild into `outdir`: content-hashed files, a gzip and a
 * brotli copy of each, and the manifest the serving function reads (shared/web/assets.ts).
 * `npm start` builds at start-up; CDK runs this file after bundling the web function, so its
 * asset carries the files (infra/cdk/stack.ts). `node infra/web/build.ts <outdir>` does it by hand.
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { build } from "esbuild";
import { ASSET_TYPES, MANIFEST_FILE, type WebManifest } from "#shared/web/assets.ts";

const WEB_ROOT = fileURLToPath(new URL("../../web/", import.meta.url));
export const WEB_ENTRY = join(WEB_ROOT, "main.tsx");

/** Browsers the dashboard supports: the last few years of evergreen ones. */
const TARGETS = ["chrome115", "firefox115", "safari16"];

export async function buildWeb(outdir: string): Promise<WebManifest> {
  const dir = resolve(outdir);
  // Old hashed files would pile up across builds: start from an empty directory.
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const result = await build({
    entryPoints: [WEB_ENTRY],
    outdir: dir,
    bundle: true,
    format: "esm",
    platform: "browser",
    target: TARGETS,
    minify: true,
    entryNames: "[name]-[hash]",
    assetNames: "[name]-[hash]",
    jsx: "automatic",
    jsxImportSource: "preact",
    metafile: true,
    legalComments: "none",
    logLevel: "silent",
  });
  const outputs = Object.entries(result.metafile.outputs);
  const entryOut = outputs.find(([, o]) => o.entryPoint !== undefined);
  if (!entryOut) throw new Error("esbuild produced no entry output");
  const files: Record<string, WebManifest["files"][string]> = {};
  for (const [path] of outputs) {
    const name = basename(path);
    const type = ASSET_TYPES[extname(name).slice(1)];
    if (!type) throw new Error(`the dashboard build produced ${name}, a type the server does not serve`);
    const body = await readFile(join(dir, name));
    const gz = gzipSync(body, { level: 9 });
    const br = brotliCompressSync(body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } });
    await writeFile(join(dir, `${name}.gz`), gz);
    await writeFile(join(dir, `${name}.br`), br);
    files[name] = { type, bytes: body.length, gzip: gz.length, brotli: br.length };
  }
  const css = entryOut[1].cssBundle ? basename(entryOut[1].cssBundle) : null;
  const manifest: WebManifest = { entry: { js: basename(entryOut[0]), css }, files };
  await writeFile(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** Gzipped bytes the first page loads (the shell's script and stylesheet): the budget's measure. */
export function firstPageGzipBytes(manifest: WebManifest): number {
  const { js, css } = manifest.entry;
  return [js, css].reduce((sum, name) => sum + (name ? (manifest.files[name]?.gzip ?? 0) : 0), 0);
}

/** The first page's budget (issue 15): script and stylesheet together, gzipped. */
export const FIRST_PAGE_BUDGET_BYTES = 150 * 1024;

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outdir = process.argv[2];
  if (!outdir) {
    process.stderr.write("usage: node infra/web/build.ts <outdir>\n");
    process.exit(2);
  }
  const manifest = await buildWeb(outdir);
  process.stdout.write(`dashboard built: ${Object.keys(manifest.files).join(", ")}\n`);
}
