/**
 * Deployed-shape tier: the synthesized stack run as AWS would run it (test/support/deployed.ts).
 * Each bundled function from cdk.out runs in its own Node 24 process that resolves only
 * @aws-sdk/* and gets the template's environment; requests reach them as API Gateway
 * payload-v2.0 events built from the template's routes; SSM, DynamoDB and Upstash are
 * stand-ins (the SSM stand-in, DynamoDB Local, the Upstash-compatible endpoint), Spotify is the
 * fake. One journey: secrets in SSM → token → authorize → callback → a play recorded by the
 * playback loop → plays and the card served. The loop is the template's state machine run by
 * aws-local-stepfunctions behind a Step Functions stand-in (test/support/sfn-server.ts): its
 * tasks invoke the bundled poll function, its Handover starts the successor. Then a Poll whose
 * process dies (caught: Release, job run), the watchdog and hourly functions fired as their
 * EventBridge rules would, and the IAM check of every call seen, StartExecution included.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import type { Server } from "node:http";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { SSMClient } from "@aws-sdk/client-ssm";
import type { CfnFunction } from "aws-cdk-lib/aws-lambda";
import type { CfnStateMachine } from "aws-cdk-lib/aws-stepfunctions";
import { PLAYBACK_STATES, placeholderArn, stateMachineDefinitionOf } from "#infra/cdk/playback-loop.ts";
import { syncSecrets } from "#infra/scripts/secrets.ts";
import { cacheKeys } from "#shared/cache/keys.ts";
import { createUpstashCache } from "#shared/cache/upstash.ts";
import { DEFAULT_LOOP_OPTIONS } from "#shared/capture/loop.ts";
import { LOOP_JOB } from "#shared/capture/runner.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import { createDynamoStore } from "#shared/store/repository.ts";
import { startDynamoRecorder } from "#test/support/aws-recorder.ts";
import {
  type Functions,
  listenFront,
  resolverFor,
  type Synthesized,
  scheduledEventOf,
  schedulesOf,
  startFront,
  startFunctions,
  synthesize,
} from "#test/support/deployed.ts";
import { type FakeSpotify, startFakeSpotify, track } from "#test/support/fake-spotify.ts";
import { allowed, arnOf, grantsOf } from "#test/support/iam.ts";
import { dynamoEndpoint, redisPort, uniqueTableName } from "#test/support/services.ts";
import { type Execution, type SfnServer, startSfnServer } from "#test/support/sfn-server.ts";
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
let sfn: SfnServer;
let machineId: string;
let endpoint: string;
let auth: { authorization: string } = { authorization: "" };

before(async () => {
  fake = await startFakeSpotify();
  ssm = await startSsmServer();
  upstash = await startUpstashServer({ redisPort: await redisPort(), token: UPSTASH_TOKEN });
  front = await listenFront();
  endpoint = await dynamoEndpoint();
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

  // The state machine's ASL from the template, its Lambda tasks invoking the bundled functions.
  machineId = synth.stack.getLogicalId(
    synth.stack.playbackLoop.stateMachine.node.defaultChild as CfnStateMachine,
  );
  sfn = await startSfnServer({
    definition: stateMachineDefinitionOf(synth.template),
    stateMachineArn: placeholderArn(synth.template, machineId),
    stateMachineId: machineId,
    invoke: (arn, payload) => functions.invoke(arn.split(":").at(-1) ?? arn, payload),
    // A tenth of a real second per second the loop asks to wait.
    waitMs: (seconds) => seconds * 100,
    // Each execution hands over (after 4 minutes) 7–12 real seconds after it starts: room for a
    // cold start and a few Waits first, even on a loaded machine.
    startedEarlierMs: DEFAULT_LOOP_OPTIONS.chainMaxMs - 12_000,
  });

  functions = startFunctions(synth, resolverFor(synth.template, { tableName, apiEndpoint: front.url }), {
    AWS_REGION: "us-east-1",
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    AWS_ENDPOINT_URL_SSM: ssm.url,
    AWS_ENDPOINT_URL_SFN: sfn.url,
    // Spotify's real URLs are the defaults (not in the template); the fake stands in for them.
    SPOTIFY_ACCOUNTS_URL: fake.accountsUrl,
    SPOTIFY_API_URL: fake.apiUrl,
  });
  await startFront(front.server, synth.template, functions);
});

after(async () => {
  await sfn?.stop();
  await functions?.stop();
  front?.server.closeAllConnections();
  await new Promise<void>((ok) => (front ? front.server.close(() => ok()) : ok()));
  await Promise.all([fake?.stop(), ssm?.stop(), upstash?.stop(), dynamo?.stop()]);
  if (synth) fs.rmSync(synth.outdir, { recursive: true, force: true });
});

const idOf = (fn: { node: { defaultChild?: unknown } }) =>
  synth.stack.getLogicalId(fn.node.defaultChild as CfnFunction);
const fn = (routeId: string) => synth.stack.functions.get(routeId) ?? assert.fail(`no function ${routeId}`);

/**
 * Waits for what the loop does in its own time: generous (a loaded 2-core machine), checked often.
 * A failure names what never happened.
 */
async function until(what: string, check: () => boolean | Promise<boolean>, limitMs = 120_000) {
  const end = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`${what}: not within ${limitMs / 1000} s`);
    await sleep(100);
  }
}

async function listPlays() {
  const plays = await fetch(`${front.url}/plays`, { headers: auth });
  assert.equal(plays.status, 200, await plays.clone().text());
  return ((await plays.json()) as { items: { track_id: string; counted: boolean }[] }).items;
}

const enteredStates = (e: Execution) =>
  e.events.flatMap((x) => (x.type === "StateEntered" ? [x.state.name] : []));

/** What the loop left in Upstash and DynamoDB, read as the functions read it. */
const cache = () => createUpstashCache({ url: upstash.url, token: UPSTASH_TOKEN });
const store = () =>
  createDynamoStore({
    client: createDocumentClient({ region: "us-east-1", endpoint }),
    tableName,
    listener: OWNER_ID,
  });

/** Invokes the function a scheduled rule targets with the event the rule delivers. */
const fire = (functionId: string) => {
  const rule = schedulesOf(synth.template).find((r) => r.functionId === functionId);
  return functions.invoke(functionId, scheduledEventOf(rule ?? assert.fail(`no rule invokes ${functionId}`)));
};

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

test("journey: token → authorize → callback → a play recorded by the loop (state machine → bundled poll) → served", async () => {
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
  auth = { authorization: `Bearer ${token}` };

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

  // Linking started the loop: the callback function's StartExecution reached the stand-in, whose
  // execution of the template's ASL polls through the bundled poll function. A 4 s track plays.
  const callbackId = idOf(fn("spotifyCallback"));
  assert.deepEqual(
    sfn.calls.filter((c) => c.accessKeyId !== machineId).map((c) => [c.accessKeyId, c.action]),
    [[callbackId, "states:StartExecution"]],
  );
  const song = track({ name: "Deployed", duration_ms: 4000 });
  fake.player.play(song);
  await until("the listen is recorded", async () => (await listPlays()).length > 0);
  // … and at least one handover later, a successor is polling.
  await until("a handover", () =>
    sfn.executions.some((e) => e.handover !== null && e.status === "succeeded"),
  );

  const first = sfn.executions[0] ?? assert.fail("no execution");
  assert.equal(first.startedBy, callbackId);
  assert.deepEqual(first.input, { state: null, listener: OWNER_ID });
  assert.equal(first.status, "succeeded");
  const entered = enteredStates(first);
  assert.deepEqual(entered.slice(0, 4), [
    PLAYBACK_STATES.poll,
    PLAYBACK_STATES.decide,
    PLAYBACK_STATES.wait,
    PLAYBACK_STATES.poll,
  ]);
  assert.deepEqual(entered.slice(-3), [
    PLAYBACK_STATES.decide,
    PLAYBACK_STATES.handover,
    PLAYBACK_STATES.done,
  ]);
  // The Wait waited what the Poll output said ($.nextDelaySeconds), at most 5 s of loop time.
  const waited = first.events.flatMap((e) =>
    e.type === "StateEntered" && e.state.name === PLAYBACK_STATES.wait
      ? [(e.state.input as { nextDelaySeconds: number }).nextDelaySeconds]
      : [],
  );
  assert.ok(waited.length > 0 && waited.every((x) => x >= 1 && x <= 5), waited.join(","));
  const polled = first.tasks.filter((t) => t.state === PLAYBACK_STATES.poll);
  assert.deepEqual(
    waited,
    polled.slice(0, -1).map((t) => t.output?.nextDelaySeconds),
  );
  // The successor was started by the state machine itself, with the handover's state as input.
  const second = sfn.executions[1] ?? assert.fail("no successor");
  assert.equal(second.startedBy, machineId);
  assert.deepEqual(second.input, first.handover);
  const lastPoll = first.tasks.filter((t) => t.state === PLAYBACK_STATES.poll).at(-1)?.output;
  assert.equal(lastPoll?.action, "handover");
  assert.deepEqual(first.handover, { state: lastPoll?.state, listener: OWNER_ID });
  await until("the successor polls", () =>
    second.tasks.some((t) => t.state === PLAYBACK_STATES.poll && t.output?.action === "wait"),
  );

  const items = await listPlays();
  assert.deepEqual(
    items.map((p) => [p.track_id, p.counted]),
    [[song.id, true]],
  );
  const card = await fetch(`${api}/spotify/recently-played.svg`);
  assert.equal(card.status, 200);
  assert.match(card.headers.get("content-type") ?? "", /image\/svg\+xml/);
  assert.match(await card.text(), /Deployed/);
});

test("a Poll whose process dies is caught: Release frees the lease, the failure is recorded, the watchdog restarts the loop", async () => {
  const pollId = idOf(synth.stack.pollFunction);
  const watchdogId = idOf(synth.stack.watchdogFunction);
  // Music plays on, so the watchdog has a reason to restart the loop.
  fake.player.play(track({ name: "Long", duration_ms: 600_000 }));
  assert.ok(
    sfn.executions.some((e) => e.status === "running"),
    "the chain is alive",
  );
  functions.crashNext(pollId);
  await until("the crashed execution fails", () => sfn.executions.some((e) => e.status === "failed"));
  const failed = sfn.executions.find((e) => e.status === "failed") ?? assert.fail("none failed");
  assert.deepEqual(enteredStates(failed).slice(-3), [
    PLAYBACK_STATES.poll,
    PLAYBACK_STATES.release,
    PLAYBACK_STATES.failed,
  ]);
  const polls = failed.tasks.filter((t) => t.state === PLAYBACK_STATES.poll);
  assert.equal(polls.at(-1)?.error, "Runtime.ExitError");
  // Release ran in a fresh process of the same function (the old one is dead), with the state
  // the dead Poll was given.
  const release = failed.tasks.at(-1) ?? assert.fail("no task");
  assert.equal(release.state, PLAYBACK_STATES.release);
  assert.deepEqual(release.payload.state, polls.at(-1)?.payload.state);
  assert.match(String((release.payload.failure as { Cause?: string }).Cause), /Runtime\.ExitError/);
  assert.equal(release.output?.released, true, JSON.stringify(release.output));
  assert.equal(await cache().get(cacheKeys.lease(OWNER_ID)), null, "the lease is free at once");
  const [run] = await store().listJobRuns(LOOP_JOB, 5);
  assert.equal(run?.ok, false);
  assert.match(String(run?.result.cause), /Runtime\.ExitError/);
  // Nothing goes on polling: the chain ended with the failed execution.
  await until("no execution runs", () => sfn.executions.every((e) => e.status !== "running"));
  assert.equal(sfn.executions.filter((e) => e.status === "failed").length, 1);

  // The watchdog's next minute, as EventBridge invokes it: music, no lease → it starts a chain.
  const before = sfn.executions.length;
  const out = (await fire(watchdogId)) as { outcome: string };
  // One look per linked listener (only the owner here).
  assert.deepEqual(out, { outcome: "started", listeners: { [OWNER_ID]: "started" } });
  const restarted = sfn.executions[before] ?? assert.fail("no execution started");
  assert.equal(restarted.startedBy, watchdogId);
  assert.deepEqual(restarted.input, { state: null, listener: OWNER_ID });
  await until("the restarted loop polls", () =>
    restarted.tasks.some((t) => t.state === PLAYBACK_STATES.poll && t.output?.action === "wait"),
  );
  assert.notEqual(await cache().get(cacheKeys.lease(OWNER_ID)), null, "the new chain holds the lease");
  // A second minute sees it running and starts nothing.
  assert.deepEqual(await fire(watchdogId), {
    outcome: "running",
    listeners: { [OWNER_ID]: "running" },
  });
  assert.equal(sfn.calls.filter((c) => c.accessKeyId === watchdogId).length, 1);
});

test("a manual poll starts the loop when none runs", async () => {
  const pollId = idOf(synth.stack.pollFunction);
  functions.crashNext(pollId);
  await until("the chain fails", () => sfn.executions.filter((e) => e.status === "failed").length === 2);
  const manual = await fetch(`${front.url}/spotify/poll/current-playback`, { method: "POST", headers: auth });
  assert.equal(manual.status, 200, await manual.clone().text());
  assert.equal(((await manual.json()) as { loop: string }).loop, "started");
  const manualId = idOf(fn("spotifyPollCurrentPlayback"));
  assert.equal(sfn.executions.at(-1)?.startedBy, manualId);
  await until("the loop it started polls", () =>
    (sfn.executions.at(-1)?.tasks ?? []).some((t) => t.state === PLAYBACK_STATES.poll && !t.error),
  );
});

test("the hourly jobs run from the bundle as EventBridge invokes them", async () => {
  const hourly = synth.stack.scheduledFunctions.get("hourly") ?? assert.fail("no hourly function");
  // Its own hourly rule; not fired here: it would ask the real LRCLIB about the journey's track.
  const analysis = synth.stack.scheduledFunctions.get("analysis") ?? assert.fail("no analysis function");
  assert.deepEqual(
    schedulesOf(synth.template)
      .map((r) => [r.functionId, r.expression])
      .sort(),
    [
      [idOf(synth.stack.watchdogFunction), "rate(1 minute)"],
      [idOf(hourly), "rate(1 hour)"],
      [idOf(analysis), "rate(1 hour)"],
    ].sort(),
  );
  const out = (await fire(idOf(hourly))) as {
    backfill: { inserted?: number; error?: string };
    sync: unknown;
  };
  assert.equal(out.backfill.error, undefined, JSON.stringify(out));
  assert.equal(typeof out.backfill.inserted, "number", JSON.stringify(out));
  assert.notEqual(out.sync, "skipped");
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
    ...sfn.calls.map((c) => ({ fn: c.accessKeyId ?? "?", action: c.action, arn: c.resource })),
  ];
  // The callback, the manual poll, the watchdog and the state machine's own handover.
  const starters = new Set(made.filter((m) => m.action === "states:StartExecution").map((m) => m.fn));
  assert.deepEqual(
    [...starters].sort(),
    [
      idOf(fn("spotifyCallback")),
      idOf(fn("spotifyPollCurrentPlayback")),
      idOf(synth.stack.watchdogFunction),
      machineId,
    ].sort(),
  );
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
    const unused = [
      ...new Set(granted.filter((a) => /^(dynamodb|ssm|states|lambda):/.test(a) && !used.has(a))),
    ];
    t.diagnostic(`${fn}: used ${[...used].sort().join(" ")}; unused ${unused.sort().join(" ")}`);
  }
});
