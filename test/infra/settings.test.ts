/**
 * Deploy settings (infra/cdk/settings.ts): a file instead of flags to repeat, one message naming
 * every missing setting, and no way to put a secret in it.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import {
  deploySettings,
  readSettingsFile,
  SETTING_NAMES,
  SETTINGS_FILE,
  SettingsError,
} from "#infra/cdk/settings.ts";
import { REPO_ROOT } from "#infra/cdk/stack.ts";
import { TEST_DEPLOY_SETTINGS } from "#test/support/deploy.ts";

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof SettingsError) return err.problems;
    throw err;
  }
  return assert.fail("expected a SettingsError");
}

test("every missing required setting is named in one error", () => {
  assert.deepEqual(
    problemsOf(() => deploySettings({})),
    ["spotifyClientId: is required", "upstashRedisRestUrl: is required"],
  );
  // Empty strings (a cleared -c flag) count as missing too.
  assert.equal(problemsOf(() => deploySettings({ spotifyClientId: "", upstashRedisRestUrl: "" })).length, 2);
});

test("defaults fill the optional settings; corsOrigins takes a list or a comma-separated string", () => {
  const s = deploySettings({ ...TEST_DEPLOY_SETTINGS, corsOrigins: "https://a.dev, https://b.dev" });
  assert.deepEqual(s.corsOrigins, ["https://a.dev", "https://b.dev"]);
  assert.equal(s.adminUsername, "admin");
  assert.equal(s.ssmSecretsPrefix, "/hoardify/");
  assert.equal(s.spotifyRedirectUri, undefined);
  assert.equal(s.alertEmail, undefined);
  assert.deepEqual(deploySettings({ ...TEST_DEPLOY_SETTINGS, corsOrigins: ["https://c.dev"] }).corsOrigins, [
    "https://c.dev",
  ]);
});

test("bad values and the example's placeholders are refused, each named", () => {
  const problems = problemsOf(() =>
    deploySettings({
      spotifyClientId: "your-spotify-app-client-id",
      upstashRedisRestUrl: "http://insecure.upstash.io",
      alertEmail: "not-an-address",
      ssmSecretsPrefix: "/",
    }),
  );
  assert.deepEqual(problems.map((p) => p.split(":")[0]).sort(), [
    "alertEmail",
    "spotifyClientId",
    "ssmSecretsPrefix",
    "upstashRedisRestUrl",
  ]);
  assert.match(problems.join("\n"), /spotifyClientId: still the example's placeholder/);
});

test("the settings file: absent is empty, secrets and unknown names are refused", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hoardify-settings-"));
  try {
    const file = path.join(dir, SETTINGS_FILE);
    assert.deepEqual(readSettingsFile(file), {});
    fs.writeFileSync(
      file,
      JSON.stringify({ ...TEST_DEPLOY_SETTINGS, spotifyClientSecret: "s3cr3t", colour: 1 }),
    );
    const problems = problemsOf(() => readSettingsFile(file));
    assert.equal(problems.length, 2);
    assert.match(
      problems[0] ?? "",
      /^spotifyClientSecret: secrets do not go in the settings.*npm run secrets/,
    );
    assert.match(problems[1] ?? "", /^colour: unknown setting/);
    assert.ok(!problems.join("").includes("s3cr3t"), "the secret's value is not echoed");
    fs.writeFileSync(file, "{ not json");
    assert.match(problemsOf(() => readSettingsFile(file)).join(""), /is not valid JSON/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the committed example names every setting and parses once its placeholders are filled", () => {
  const example = readSettingsFile(path.join(REPO_ROOT, "hoardify.config.example.json"));
  for (const name of SETTING_NAMES) assert.ok(name in example, `example lacks ${name}`);
  assert.throws(() => deploySettings(example), /placeholder/);
  const filled = deploySettings({ ...example, ...TEST_DEPLOY_SETTINGS });
  assert.equal(filled.spotifyClientId, TEST_DEPLOY_SETTINGS.spotifyClientId);
});

test("the CDK app exits with the one message, no stack trace, when settings are missing", () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), "hoardify-synth-"));
  try {
    // Empty -c values override whatever a local hoardify.config.json holds.
    const run = spawnSync(process.execPath, [path.join(REPO_ROOT, "infra/cdk/app.ts")], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      env: {
        ...process.env,
        CDK_OUTDIR: outdir,
        CDK_CONTEXT_JSON: JSON.stringify({ spotifyClientId: "", upstashRedisRestUrl: "" }),
      },
    });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /Cannot synthesize: fix these deploy settings in hoardify\.config\.json/);
    assert.match(run.stderr, /spotifyClientId: is required\n\s+- upstashRedisRestUrl: is required/);
    assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
});
