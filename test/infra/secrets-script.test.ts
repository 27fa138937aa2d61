/**
 * `npm run secrets` (infra/scripts/secrets.ts) against the SSM stand-in: it writes what the
 * functions read back at cold start (shared/secrets.ts), changes nothing on a rerun, and names
 * what is still missing without ever printing a value.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { SSMClient } from "@aws-sdk/client-ssm";
import bcrypt from "bcryptjs";
import { REPO_ROOT, SECRET_NAMES } from "#infra/cdk/stack.ts";
import { syncSecrets } from "#infra/scripts/secrets.ts";
import { loadConfig } from "#shared/config.ts";
import { withSsmSecrets } from "#shared/secrets.ts";
import { type SsmServer, startSsmServer } from "#test/support/ssm-server.ts";

let ssmServer: SsmServer;
let ssm: SSMClient;
const AWS_ENV = {
  AWS_ACCESS_KEY_ID: "AKIDSECRETSSCRIPT",
  AWS_SECRET_ACCESS_KEY: "x",
  AWS_REGION: "us-east-1",
};
before(async () => {
  ssmServer = await startSsmServer();
  ssm = new SSMClient({
    endpoint: ssmServer.url,
    region: "us-east-1",
    credentials: { accessKeyId: AWS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: "x" },
  });
});
after(() => ssmServer.stop());

const GIVEN = {
  ADMIN_PASSWORD: "correct horse battery staple",
  SPOTIFY_CLIENT_SECRET: "spotify-client-secret-value",
  UPSTASH_REDIS_REST_TOKEN: "upstash-token-value",
};
const puts = () => ssmServer.calls.filter((c) => c.action === "PutParameter").length;

test("writes every secret the functions read back, then a rerun changes nothing", async () => {
  const prefix = "/first/";
  const outcome = await syncSecrets({ ssm, prefix, env: GIVEN, bcryptRounds: 4 });
  assert.deepEqual(outcome, {
    SECRET_KEY: "created",
    ADMIN_PASSWORD_HASH: "created",
    SPOTIFY_CLIENT_SECRET: "created",
    UPSTASH_REDIS_REST_TOKEN: "created",
  });
  for (const name of SECRET_NAMES) {
    assert.equal(ssmServer.parameters.get(`${prefix}${name}`)?.Type, "SecureString", name);
  }
  // What a function's cold start reads (shared/secrets.ts) is a valid configuration.
  const env = await withSsmSecrets({ SSM_SECRETS_PREFIX: prefix }, ssm);
  const config = loadConfig({ ...env, UPSTASH_REDIS_REST_URL: "https://db.upstash.io" });
  assert.ok(await bcrypt.compare(GIVEN.ADMIN_PASSWORD, config.ADMIN_PASSWORD_HASH ?? ""));
  assert.ok((config.SECRET_KEY ?? "").length >= 32, "SECRET_KEY generated");
  assert.equal(config.SPOTIFY_CLIENT_SECRET, GIVEN.SPOTIFY_CLIENT_SECRET);

  const before = puts();
  const again = await syncSecrets({ ssm, prefix, env: GIVEN, bcryptRounds: 4 });
  assert.ok(Object.values(again).every((o) => o === "kept"));
  assert.equal(puts(), before, "no write on a rerun");
  assert.equal((await withSsmSecrets({ SSM_SECRETS_PREFIX: prefix }, ssm)).SECRET_KEY, config.SECRET_KEY);

  const rotated = await syncSecrets({
    ssm,
    prefix,
    env: { SPOTIFY_CLIENT_SECRET: "rotated-secret" },
    overwrite: true,
  });
  assert.equal(rotated.SPOTIFY_CLIENT_SECRET, "updated");
  assert.equal(rotated.SECRET_KEY, "kept", "--overwrite rewrites only what is given");
  assert.equal(ssmServer.parameters.get(`${prefix}SPOTIFY_CLIENT_SECRET`)?.Value, "rotated-secret");
});

test("a value the functions would refuse is refused before it is written", async () => {
  await assert.rejects(
    syncSecrets({ ssm, prefix: "/bad/", env: { SECRET_KEY: "short" } }),
    /SECRET_KEY: must be at least 32 characters/,
  );
  assert.equal(ssmServer.parameters.get("/bad/SECRET_KEY"), undefined);
});

test("the command lists what is missing, exits 1, and prints no secret", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hoardify-secrets-"));
  try {
    fs.writeFileSync(path.join(dir, ".env"), `SPOTIFY_CLIENT_SECRET=${GIVEN.SPOTIFY_CLIENT_SECRET}\n`);
    // Asynchronous: the SSM stand-in answers from this very process.
    const run = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        [path.join(REPO_ROOT, "infra/scripts/secrets.ts"), "--prefix", "/cli/"],
        { cwd: dir, env: { PATH: process.env.PATH, ...AWS_ENV, AWS_ENDPOINT_URL_SSM: ssmServer.url } },
        (_err, stdout, stderr) => resolve({ status: child.exitCode, stdout, stderr }),
      );
      child.stdin?.end();
    });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stdout, /^\/cli\/SECRET_KEY: created$/m);
    assert.match(run.stdout, /^\/cli\/SPOTIFY_CLIENT_SECRET: created$/m);
    assert.match(run.stdout, /^\/cli\/ADMIN_PASSWORD_HASH: missing$/m);
    assert.match(run.stderr, /Still missing: ADMIN_PASSWORD_HASH, UPSTASH_REDIS_REST_TOKEN/);
    const printed = run.stdout + run.stderr;
    assert.ok(!printed.includes(GIVEN.SPOTIFY_CLIENT_SECRET));
    const key = ssmServer.parameters.get("/cli/SECRET_KEY")?.Value ?? assert.fail("no SECRET_KEY");
    assert.ok(!printed.includes(key));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
