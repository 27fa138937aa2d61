/**
 * Deployed-shape tier: the synthesized stack run as AWS would run it (test/support/deployed.ts).
 * Each bundled function from cdk.out runs in its own Node 24 process that resolves only
 * @aws-sdk/* and gets the template's environment; requests reach them as API Gateway
 * payload-v2.0 events built from the template's routes; SSM, DynamoDB and Upstash are
 * stand-ins (the SSM stand-in, DynamoDB Local, the Upstash-compatible endpoint), Spotify is the
 * fake. One journey: secrets in SSM → token → authorize → callback → a play recorded by the
 * bundled poll function → plays and the card served.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import type { Server } from "node:http";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { SSMClient } from "@aws-sdk/client-ssm";
import type { CfnFunction } from "aws-cdk-lib/aws-lambda";
import { syncSecrets } from "#infra/scripts/secrets.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import { startDynamoRecorder } from "#test/support/aws-recorder.ts";
import {
  type Functions,
  listenFront,
  resolverFor,
  type Synthesized,
  startFront,
  startFunctions,
  synthesize,
} from "#test/support/deployed.ts";
import { type FakeSpotify, startFakeSpotify, track } from "#test/support/fake-spotify.ts";
import { allowed, arnOf, grantsOf } from "#test/support/iam.ts";
import { dynamoEndpoint, redisPort, uniqueTableName } from "#test/support/services.ts";
import { type SsmServer, startSsmServer } from "#test/support/ssm-server.ts";
import { startUpstashServer } from "#test/support/upstash-server.ts";

const PREFIX = "/deployed/";
const PASSWORD = "a deployed-shape password";
const UPSTASH_TOKEN = "deployed-upstash-token";

let fake: FakeSpotify;
let ssm: SsmServer;
let upstash: { url: string; stop(): Promise<void> };
let front: { server: Server; url: string };
let synth: Synthesized;
let functions: Functions;
let dynamo: Awaited<ReturnType<typeof startDynamoRecorder>>;
let tableName: string;

before(async () => {
  fake = await startFakeSpotify();
  ssm = await startSsmServer();
  upstash = await startUpstashServer({ redisPort: await redisPort(), token: UPSTASH_TOKEN });
  front = await listenFront();
  const endpoint = await dynamoEndpoint();
  dynamo = await startDynamoRecorder(endpoint);
  tableName = uniqueTableName("deployed");
  await ensureTable(createDocumentClient({ region: "us-east-1", endpoint }), tableName);

  synth = synthesize({
    spotifyClientId: "fake-client-id",
    upstashRedisRestUrl: upstash.url,
    ssmSecretsPrefix: PREFIX,
  });

  // Step 3 of the README: npm run secrets, against the SSM stand-in.
  const outcome = await syncSecrets({
    ssm: new SSMClient({
      endpoint: ssm.url,
      region: "us-east-1",
      credentials: { accessKeyId: "operator", secretAccessKey: "x" },
    }),
    prefix: PREFIX,
    env: {
      ADMIN_PASSWORD: PASSWORD,
      SPOTIFY_CLIENT_SECRET: "fake-client-secret",
      UPSTASH_REDIS_REST_TOKEN: UPSTASH_TOKEN,
    },
    bcryptRounds: 4,
  });
  assert.ok(Object.values(outcome).every((o) => o === "created"));

  functions = startFunctions(synth, resolverFor(synth.template, { tableName, apiEndpoint: front.url }), {
    AWS_REGION: "us-east-1",
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    AWS_ENDPOINT_URL_SSM: ssm.url,
    // Spotify's real URLs are the defaults (not in the template); the fake stands in for them.
    SPOTIFY_ACCOUNTS_URL: fake.accountsUrl,
    SPOTIFY_API_URL: fake.apiUrl,
  });
  await startFront(front.server, synth.template, functions);
});

after(async () => {
  await functions?.stop();
  front?.server.closeAllConnections();
  await new Promise<void>((ok) => (front ? front.server.close(() => ok()) : ok()));
  await Promise.all([fake?.stop(), ssm?.stop(), upstash?.stop(), dynamo?.stop()]);
  if (synth) fs.rmSync(synth.outdir, { recursive: true, force: true });
});

const idOf = (fn: { node: { defaultChild?: unknown } }) =>
  synth.stack.getLogicalId(fn.node.defaultChild as CfnFunction);

test("each function process gets the template's environment and resolves only @aws-sdk", () => {
  const env = functions.envOf(idOf(synth.stack.pollFunction));
  assert.equal(env.SSM_SECRETS_PREFIX, PREFIX);
  assert.equal(env.UPSTASH_REDIS_REST_URL, upstash.url);
  assert.equal(env.SPOTIFY_REDIRECT_URI, `${front.url}/spotify/callback`, "the API's own callback");
  for (const secret of [
    "SECRET_KEY",
    "SPOTIFY_CLIENT_SECRET",
    "UPSTASH_REDIS_REST_TOKEN",
    "ADMIN_PASSWORD_HASH",
  ]) {
    assert.equal(env[secret], undefined, `${secret} is not in the environment`);
  }
  assert.deepEqual(fs.readdirSync(`${synth.outdir}/node_modules`), ["@aws-sdk"]);
});

test("journey: token → authorize → callback → a play recorded by the bundled poll function → served", async () => {
  const api = front.url;
  const health = await fetch(`${api}/health`);
  assert.equal(health.status, 200, await health.clone().text());
  assert.equal(((await health.json()) as { spotify: { linked: boolean } }).spotify.linked, false);

  const login = await fetch(`${api}/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ username: "admin", password: PASSWORD }),
  });
  assert.equal(login.status, 200, await login.clone().text());
  const { access_token: token } = (await login.json()) as { access_token: string };
  const auth = { authorization: `Bearer ${token}` };

  // The OAuth state written by one function's process is read by another's: Upstash is shared.
  const authorize = await fetch(`${api}/spotify/authorize`, { headers: auth });
  assert.equal(authorize.status, 200, await authorize.clone().text());
  const consent = await fetch(((await authorize.json()) as { url: string }).url, { redirect: "manual" });
  const back = consent.headers.get("location") ?? assert.fail("no redirect back");
  assert.ok(back.startsWith(`${api}/spotify/callback?`), back);
  const callback = await fetch(back, { headers: { accept: "application/json" } });
  assert.equal(callback.status, 200, await callback.clone().text());
  const linked = (await (await fetch(`${api}/health`)).json()) as { spotify: { linked: boolean } };
  assert.equal(linked.spotify.linked, true);

  // A 4 s track, then nothing: the bundled poll function, invoked as the Poll state would be.
  const song = track({ name: "Deployed", duration_ms: 4000 });
  fake.player.play(song);
  const pollId = idOf(synth.stack.pollFunction);
  let input: unknown = { state: null };
  let recorded = 0;
  for (let i = 0; i < 20 && recorded === 0; i++) {
    const out = (await functions.invoke(pollId, {
      ...(input as object),
      execution_started_at: new Date().toISOString(),
    })) as { action: string; nextDelaySeconds: number; recorded: number; state: unknown };
    assert.equal(out.action, "wait", JSON.stringify(out));
    recorded += out.recorded;
    input = { state: out.state };
    await sleep(out.nextDelaySeconds * 1000);
  }
  assert.equal(recorded, 1);

  const plays = await fetch(`${api}/plays`, { headers: auth });
  assert.equal(plays.status, 200);
  const items = ((await plays.json()) as { items: { track_id: string; counted: boolean }[] }).items;
  assert.deepEqual(
    items.map((p) => [p.track_id, p.counted]),
    [[song.id, true]],
  );
  const card = await fetch(`${api}/spotify/recently-played.svg`);
  assert.equal(card.status, 200);
  assert.match(card.headers.get("content-type") ?? "", /image\/svg\+xml/);
  assert.match(await card.text(), /Deployed/);
});

test("IAM contract: every AWS call a function made is allowed by its own role in the template", (t) => {
  const made = [
    ...dynamo.calls.map((c) => ({
      fn: c.accessKeyId ?? "?",
      action: c.action,
      arn: arnOf("dynamodb", c.resource),
    })),
    ...ssm.calls
      .filter((c) => c.accessKeyId !== "operator")
      .map((c) => ({
        fn: c.accessKeyId ?? "?",
        action: `ssm:${c.action}`,
        // GetParametersByPath is authorized on the path itself, without its trailing slash.
        arn: arnOf("ssm", `parameter${(c.name ?? "").replace(/\/$/, "")}`),
      })),
  ];
  const functionsSeen = new Set(made.map((m) => m.fn));
  assert.ok(functionsSeen.size >= 5, `calls from ${[...functionsSeen].join(", ")}`);
  assert.ok(made.some((m) => m.action === "dynamodb:PutItem" || m.action === "dynamodb:UpdateItem"));
  const missing = made.filter((m) => !allowed(grantsOf(synth.template, m.fn, tableName), m.action, m.arn));
  assert.deepEqual(
    [...new Set(missing.map((m) => `${m.fn}: ${m.action} on ${m.arn}`))],
    [],
    "missing grants",
  );
  // Grants no call of this journey used (a journey does not reach every path: reported, not failed).
  for (const fn of functionsSeen) {
    const used = new Set(made.filter((m) => m.fn === fn).map((m) => m.action));
    const granted = grantsOf(synth.template, fn, tableName).flatMap((g) => g.actions);
    const unused = [...new Set(granted.filter((a) => /^(dynamodb|ssm):/.test(a) && !used.has(a)))];
    t.diagnostic(`${fn}: used ${[...used].sort().join(" ")}; unused ${unused.sort().join(" ")}`);
  }
});
