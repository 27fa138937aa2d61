import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildWeb, FIRST_PAGE_BUDGET_BYTES, firstPageGzipBytes } from "#infra/web/build.ts";

/**
 * The dashboard's weight: what the first page loads (the shell's script and stylesheet), as
 * served (gzip, brotli) against the 150 KB gzipped budget, and how long the build takes (npm
 * start does it at every start). test/e2e/web-serving.test.ts fails when the budget is exceeded.
 */
export async function webBudgetBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "hoardify-web-bench-"));
  try {
    const started = performance.now();
    const manifest = await buildWeb(join(dir, "web"));
    const buildMs = performance.now() - started;
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
    console.log("\n## Dashboard bundle (web/, esbuild, minified; what the first page loads)");
    for (const [name, f] of Object.entries(manifest.files)) {
      console.log(
        `  ${name.padEnd(26)} ${kb(f.bytes).padStart(9)} raw ${kb(f.gzip).padStart(9)} gzip ${kb(f.brotli).padStart(9)} brotli`,
      );
    }
    const total = firstPageGzipBytes(manifest);
    const brotli = [manifest.entry.js, manifest.entry.css].reduce(
      (sum, n) => sum + (n ? (manifest.files[n]?.brotli ?? 0) : 0),
      0,
    );
    console.log(
      `  first page: ${kb(total)} gzipped (${kb(brotli)} brotli) of a ${kb(FIRST_PAGE_BUDGET_BYTES)} budget: ${
        total <= FIRST_PAGE_BUDGET_BYTES ? "within" : "OVER"
      } (${((total / FIRST_PAGE_BUDGET_BYTES) * 100).toFixed(0)}%); build ${buildMs.toFixed(0)} ms`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
