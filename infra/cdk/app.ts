import path from "node:path";
import { App, Validations } from "aws-cdk-lib";
import cdkNag from "cdk-nag";
import { readSettingsFile, SETTINGS_FILE, SettingsError } from "./settings.ts";
import { HoardifyStack, REPO_ROOT } from "./stack.ts";

/**
 * `npm run synth` / `npm run deploy`. Settings come from hoardify.config.json (see
 * infra/cdk/settings.ts), loaded as context defaults so a `-c name=value` flag still overrides
 * one for a run. Secrets never do: they are SSM SecureStrings (`npm run secrets`).
 *
 * Without credentials (CI, offline synth) the stack is environment-agnostic; with them the CLI
 * sets CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION and the stack is pinned to that environment.
 */
try {
  const app = new App({ context: readSettingsFile(path.join(REPO_ROOT, SETTINGS_FILE)) });

  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = process.env.CDK_DEFAULT_REGION;
  new HoardifyStack(app, "Hoardify", {
    description: "Hoardify: serverless Spotify listening-history hoarder",
    ...(account ? { env: { account, region } } : {}),
  });

  // cdk-nag 3 is a policy-validation plugin (v2's Aspects.of(app).add(...) no longer exists):
  // an unacknowledged error fails the synth, and the CLI prints every finding.
  Validations.of(app).addPlugins(new cdkNag.AwsSolutionsChecks(app, { verbose: true }));

  app.synth();
} catch (err) {
  // One message naming every missing setting, not a stack trace through the CDK.
  if (!(err instanceof SettingsError)) throw err;
  console.error(err.message);
  process.exit(1);
}
