/**
 * Run by `npm run deploy` after `cdk deploy --outputs-file`: upgrades the deployed table to
 * listeners (shared/store/migrate.ts: a hoard recorded before them becomes the owner's; a
 * single read once done), then prints the API URL and what to do next, from the stack's
 * outputs (so it is right for the stack just deployed). Until the upgrade ran, the owner's
 * loop would not find the Spotify link under its old key: running it here leaves no gap.
 */
import { readFileSync } from "node:fs";
import { createDocumentClient } from "#shared/store/dynamo.ts";
import { migrateToHousehold } from "#shared/store/migrate.ts";

const file = process.argv[2] ?? "cdk.out/outputs.json";
const outputs = (JSON.parse(readFileSync(file, "utf8")) as Record<string, Record<string, string>>).Hoardify;
if (!outputs?.ApiUrl || !outputs.TableName) {
  process.stderr.write(`No Hoardify outputs (ApiUrl, TableName) in ${file}; did the deploy finish?\n`);
  process.exit(1);
}
const api = outputs.ApiUrl.replace(/\/$/, "");
// The region the stack went to, as its API's host names it (cdk may have taken it from a profile).
const region =
  /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com/.exec(api)?.[1] ?? process.env.AWS_REGION ?? "us-east-1";

try {
  const r = await migrateToHousehold({
    client: createDocumentClient({
      region,
      // The SDK's own per-service endpoint variable: tests point it at DynamoDB Local.
      endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB,
    }),
    tableName: outputs.TableName,
  });
  if (!r.already && r.moved > 0)
    process.stdout.write(`Upgrade: ${r.moved} items of the existing hoard are the owner's now.\n`);
  if (r.conflicts > 0)
    process.stdout.write(
      `${r.conflicts} counters kept their old keys: run npm run rebuild-aggregates -- --aws.\n`,
    );
} catch (err) {
  process.stderr.write(
    `The upgrade of table ${outputs.TableName} failed (${(err as Error).message}); the owner's loop waits for it: run npm run migrate -- --aws\n`,
  );
  process.exitCode = 1;
}

process.stdout.write(`
Hoardify is deployed: ${api}

Next:
  1. In your Spotify app's settings, add the redirect URI ${outputs.SpotifyRedirectUri}
  2. If you have not yet: npm run secrets   (writes the SSM secrets under ${outputs.SsmSecretsPrefix})
  3. curl ${api}/health
  4. TOKEN=$(curl -s -X POST ${api}/token -d username=admin --data-urlencode password=<yours> | jq -r .access_token)
     curl -s ${api}/spotify/authorize -H "Authorization: Bearer $TOKEN"   # open the url it returns
  5. Your card: ![Now playing](${api}/spotify/now-playing.svg)
`);
