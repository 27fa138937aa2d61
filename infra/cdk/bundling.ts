import pkg from "../../package.json" with { type: "json" };

/**
 * esbuild settings for every Lambda: the CDK stack bundles with them and `npm run bench`
 * measures bundle sizes with the same ones.
 */
export const LAMBDA_TARGET = "node24";

/** Bundled CommonJS dependencies still call require(); ESM has none. No `$` or double quotes:
 *  CDK passes the banner through a shell. */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __hoardifyCreateRequire } from 'node:module'; const require = __hoardifyCreateRequire(import.meta.url);";

/** The AWS SDK v3 ships with the Lambda Node runtime, so bundles leave it out. */
export const EXTERNAL_MODULES = ["@aws-sdk/*"];

export const MAIN_FIELDS = ["module", "main"];

/** Inlines the version string shared/version.ts reports, instead of bundling package.json. */
export const VERSION_DEFINE = { __HOARDIFY_VERSION__: JSON.stringify(pkg.version) };

/**
 * Every bundle stays under this (issue 12): a smaller bundle loads faster at a cold start, and
 * the budget keeps a heavy dependency from creeping into every function unnoticed.
 */
export const BUNDLE_LIMIT_BYTES = 300_000;
