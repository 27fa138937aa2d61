import { readFileSync } from "node:fs";

/** Set by esbuild's `define` (infra/cdk/bundling.ts) in a Lambda bundle; absent when run unbundled. */
declare const __HOARDIFY_VERSION__: string | undefined;

/**
 * Reported by /health and /openapi.json. A bundle gets only the string inlined (importing
 * package.json put the whole file in every bundle); `npm start` and the tests read it here.
 */
export const VERSION: string =
  typeof __HOARDIFY_VERSION__ === "string"
    ? __HOARDIFY_VERSION__
    : (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string })
        .version;
