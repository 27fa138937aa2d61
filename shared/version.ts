import pkg from "../package.json" with { type: "json" };

/** Reported by /health; esbuild inlines it into each bundle. */
export const VERSION: string = pkg.version;
