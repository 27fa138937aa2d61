/**
 * Run by `npm run deploy` after `cdk deploy --outputs-file`: prints the API URL and what to do
 * next, from the stack's outputs (so it is right for the stack just deployed).
 */
import { readFileSync } from "node:fs";

const file = process.argv[2] ?? "cdk.out/outputs.json";
const outputs = (JSON.parse(readFileSync(file, "utf8")) as Record<string, Record<string, string>>).Hoardify;
if (!outputs?.ApiUrl) {
  process.stderr.write(`No Hoardify outputs in ${file}; did the deploy finish?\n`);
  process.exit(1);
}
const api = outputs.ApiUrl.replace(/\/$/, "");
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
