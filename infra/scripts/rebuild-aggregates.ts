/**
 * `npm run rebuild-aggregates [-- --aws]`: recomputes every statistics aggregate and the counts
 * from the plays, as POST /admin/rebuild-aggregates does, on the local data folder (stop
 * `npm start` first), DYNAMODB_ENDPOINT, or with --aws the deployed table. For hoards too big
 * for the route's 29 s. Idempotent: running it again changes nothing.
 */
import { runRebuildJob } from "#shared/stats/rebuild.ts";
import { openScriptStore } from "./store-deps.ts";

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== "--aws");
if (unknown.length > 0) {
  process.stderr.write(
    `unknown argument ${unknown.join(" ")}; usage: npm run rebuild-aggregates [-- --aws]\n`,
  );
  process.exit(2);
}

const store = await openScriptStore({ aws: args.includes("--aws") });
try {
  process.stdout.write(`Rebuilding the aggregates of ${store.target}…\n`);
  const r = await runRebuildJob(store.deps, "cli");
  process.stdout.write(
    `${r.plays} plays (${r.counted_plays} counted) → ${r.aggregates_written} aggregate items written, ` +
      `${r.aggregates_deleted} stray ones deleted; ${r.tracks} tracks, ${r.artists} artists, ${r.albums} albums; ` +
      `${(r.took_ms / 1000).toFixed(1)} s\n`,
  );
} catch (err) {
  process.stderr.write(`rebuild failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await store.close();
}
