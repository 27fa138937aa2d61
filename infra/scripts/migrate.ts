/**
 * `npm run migrate [-- --aws]`: makes a hoard recorded before listeners existed the owner's
 * (shared/store/migrate.ts), on the local data folder (stop `npm start` first; it also runs
 * this itself at start), DYNAMODB_ENDPOINT, or with --aws the deployed table. Idempotent and
 * resumable: a rerun goes on where an interrupted one stopped, and a finished one does nothing.
 */
import { createDocumentClient, dynamoTimeoutsOf } from "#shared/store/dynamo.ts";
import { migrateToHousehold } from "#shared/store/migrate.ts";
import { openScriptStore } from "./store-deps.ts";

const args = process.argv.slice(2);
const unknown = args.filter((a) => a !== "--aws");
if (unknown.length > 0) {
  process.stderr.write(`unknown argument ${unknown.join(" ")}; usage: npm run migrate [-- --aws]\n`);
  process.exit(2);
}

const store = await openScriptStore({ aws: args.includes("--aws") });
try {
  const { config } = store.deps;
  process.stdout.write(`Making the hoard in ${store.target} the owner's…\n`);
  const r = await migrateToHousehold({
    client: createDocumentClient({
      region: config.AWS_REGION,
      endpoint: config.DYNAMODB_ENDPOINT,
      timeouts: dynamoTimeoutsOf(config),
    }),
    tableName: config.TABLE_NAME,
    onPage: (p) => {
      process.stdout.write(`  ${p.moved} items moved after ${p.pages} pages\n`);
    },
  });
  process.stdout.write(
    r.already
      ? `Already done (${r.moved} items were moved).\n`
      : `Done: ${r.moved} items are the owner's now.\n`,
  );
  if (r.conflicts > 0) {
    process.stdout.write(
      `${r.conflicts} counters were written for the owner before the upgrade finished and kept their old keys: run npm run rebuild-aggregates.\n`,
    );
  }
} catch (err) {
  process.stderr.write(`migration failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await store.close();
}
