import { App, Validations } from "aws-cdk-lib";
import cdkNag from "cdk-nag";
import { HoardifyStack } from "./stack.ts";

/**
 * `npm run synth` / `npm run deploy`. Settings come from context (`-c name=value` or cdk.json):
 * adminUsername, corsOrigins (comma-separated), spotifyClientId, spotifyRedirectUri,
 * upstashRedisRestUrl, ssmSecretsPrefix. Secrets never do: they are SSM SecureStrings.
 *
 * Without credentials (CI, offline synth) the stack is environment-agnostic; with them the CLI
 * sets CDK_DEFAULT_ACCOUNT / CDK_DEFAULT_REGION and the stack is pinned to that environment.
 */
const app = new App();

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
