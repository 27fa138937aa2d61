/**
 * `npm run deploy`'s last step (infra/scripts/after-deploy.ts): the deployed table is upgraded
 * to listeners at once, so the owner's loop never waits for a `npm run migrate -- --aws`, and
 * the next steps are printed from the stack's outputs. The "deployed table" is a DynamoDB Local
 * table reached through the SDK's own endpoint variable.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { ScanCommand } from "@aws-sdk/lib-dynamodb";
import { recordListen } from "#shared/capture/record.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import { isLegacyItem } from "#shared/store/migrate.ts";
import { createDynamoStore } from "#shared/store/repository.ts";
import { toLegacyLayout } from "#test/support/legacy.ts";
import { generatePlays } from "#test/support/plays.ts";
import { dynamoEndpoint, uniqueTableName } from "#test/support/services.ts";

const SCRIPT = fileURLToPath(new URL("../../infra/scripts/after-deploy.ts", import.meta.url));
const API = "https://abc123.execute-api.eu-west-1.amazonaws.com/";

function run(outputs: unknown, env: Record<string, string>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hoardify-outputs-"));
  const file = path.join(dir, "outputs.json");
  fs.writeFileSync(file, JSON.stringify(outputs));
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [SCRIPT, file], { env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (status) => {
      fs.rmSync(dir, { recursive: true, force: true });
      resolve({ status, stdout, stderr });
    });
  });
}

const outputsFor = (tableName: string) => ({
  Hoardify: {
    ApiUrl: API,
    SpotifyRedirectUri: `${API}spotify/callback`,
    SsmSecretsPrefix: "/hoardify/",
    TableName: tableName,
  },
});

test("after a deploy the hoard is the owner's at once, and the next steps come from the outputs", async () => {
  const endpoint = await dynamoEndpoint();
  const client = createDocumentClient({ region: "eu-west-1", endpoint });
  const tableName = uniqueTableName("after-deploy");
  await ensureTable(client, tableName);
  // A hoard the single-listener version recorded, the owner's link among it.
  const store = createDynamoStore({ client, tableName, listener: OWNER_ID });
  for (const g of generatePlays({
    count: 20,
    seed: 9,
    now: Date.parse("2026-11-01T00:00:00Z"),
    spanDays: 30,
  }))
    await recordListen(store, g.play, g.track);
  await store.saveSpotifyLink({
    refresh_token: "refresh",
    scope: "user-read-playback-state",
    linked_at: "2026-10-01T00:00:00.000Z",
    user_id: "owner-account",
    display_name: null,
    needs_reauth: false,
    reauth_reason: null,
  });
  const counts = await store.getCounts();
  const legacy = await toLegacyLayout(client, tableName);
  assert.equal(await store.getSpotifyLink(), null, "before the upgrade the owner's loop finds no link");

  const env = { AWS_ENDPOINT_URL_DYNAMODB: endpoint };
  const first = await run(outputsFor(tableName), env);
  assert.equal(first.status, 0, first.stderr);
  assert.match(
    first.stdout,
    new RegExp(`Upgrade: ${legacy} items of the existing hoard are the owner's now`),
  );
  assert.match(
    first.stdout,
    /Hoardify is deployed: https:\/\/abc123\.execute-api\.eu-west-1\.amazonaws\.com\n/,
  );
  assert.match(first.stdout, /add the redirect URI https:\/\/abc123\.[^\n]*\/spotify\/callback/);
  assert.match(first.stdout, /npm run secrets/);
  assert.equal((await store.getSpotifyLink())?.user_id, "owner-account", "the owner's loop finds its link");
  assert.deepEqual(await store.getCounts(), counts);
  const items = (await client.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }))).Items;
  assert.deepEqual(
    (items ?? []).filter((i) => isLegacyItem(String(i.pk), String(i.sk))),
    [],
    "nothing left under the old keys",
  );

  // The next deploy: one read, nothing moved, the same next steps.
  const again = await run(outputsFor(tableName), env);
  assert.equal(again.status, 0, again.stderr);
  assert.doesNotMatch(again.stdout, /Upgrade:/);
  assert.match(again.stdout, /Hoardify is deployed/);
});

test("a failed upgrade says what to run, and the deploy step fails", async () => {
  // Nothing listens there: refused at once.
  const refused = await run(outputsFor(uniqueTableName("none")), {
    AWS_ENDPOINT_URL_DYNAMODB: "http://127.0.0.1:9",
  });
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /The upgrade of table .* failed .*npm run migrate -- --aws/);
  assert.match(refused.stdout, /Hoardify is deployed/, "the next steps still print");
  assert.doesNotMatch(refused.stderr, /\n\s+at /, "no stack trace");

  const missing = await run({ Hoardify: { ApiUrl: API } }, {});
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /No Hoardify outputs \(ApiUrl, TableName\)/);
});
