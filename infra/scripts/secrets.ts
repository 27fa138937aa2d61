/**
 * `npm run secrets`: writes the SSM SecureString parameters the functions read at cold start
 * (SECRET_KEY, ADMIN_PASSWORD_HASH, SPOTIFY_CLIENT_SECRET, UPSTASH_REDIS_REST_TOKEN) under the
 * deploy's `ssmSecretsPrefix`. Idempotent: a parameter that exists is kept unless
 * `--overwrite` is given, so running it again changes nothing. Values come from `.env` (or the
 * environment), else a hidden prompt; SECRET_KEY is generated, the admin password is hashed
 * (ADMIN_PASSWORD or the prompt; an ADMIN_PASSWORD_HASH is taken as is). Prints each name and
 * what happened to it, never a value; exits 1 while any is still missing.
 *
 *   npm run secrets [-- --overwrite] [-- --prefix /hoardify/]
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { GetParametersByPathCommand, PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { BCRYPT_ROUNDS, hashPassword } from "#shared/auth/password.ts";
import { configSchema } from "#shared/config.ts";
import { deploySettingsSchema, readSettingsFile, SETTINGS_FILE } from "../cdk/settings.ts";
import { REPO_ROOT, SECRET_NAMES } from "../cdk/stack.ts";
import { prompt } from "./prompt.ts";

export type SecretName = (typeof SECRET_NAMES)[number];
export type SecretOutcome = "created" | "updated" | "kept" | "missing";

export interface SyncSecretsOptions {
  ssm: Pick<SSMClient, "send">;
  /** e.g. `/hoardify/` */
  prefix: string;
  /** `.env` and the environment: SECRET_KEY, ADMIN_PASSWORD(_HASH), SPOTIFY_CLIENT_SECRET, … */
  env: Record<string, string | undefined>;
  /** Asks for a value (hidden); undefined when nobody can answer (no terminal). */
  ask?: ((question: string) => Promise<string>) | undefined;
  /** Rewrite parameters that exist with the values given in `env`. */
  overwrite?: boolean;
  /** bcrypt cost for a password given in clear; the login's own by default. */
  bcryptRounds?: number;
}

/** The names already stored under the prefix (values are not decrypted). */
async function existingNames(ssm: SyncSecretsOptions["ssm"], prefix: string): Promise<Set<string>> {
  const names = new Set<string>();
  let NextToken: string | undefined;
  do {
    const out = await ssm.send(
      new GetParametersByPathCommand({ Path: prefix, Recursive: false, WithDecryption: false, NextToken }),
    );
    for (const p of out.Parameters ?? []) if (p.Name) names.add(p.Name.slice(prefix.length));
    NextToken = out.NextToken;
  } while (NextToken);
  return names;
}

/** Each value checked by the same schema the functions load it with (shared/config.ts). */
function check(name: SecretName, value: string): string | undefined {
  const result = configSchema.shape[name].safeParse(value);
  return result.success ? undefined : result.error.issues.map((i) => i.message).join("; ");
}

export async function syncSecrets(opts: SyncSecretsOptions): Promise<Record<SecretName, SecretOutcome>> {
  const existing = await existingNames(opts.ssm, opts.prefix);
  const given = (name: string) => {
    const v = opts.env[name]?.trim();
    return v ? v : undefined;
  };
  const outcome = {} as Record<SecretName, SecretOutcome>;
  for (const name of SECRET_NAMES) {
    const exists = existing.has(name);
    const inEnv = given(name) ?? (name === "ADMIN_PASSWORD_HASH" ? given("ADMIN_PASSWORD") : undefined);
    if (exists && !(opts.overwrite && inEnv !== undefined)) {
      outcome[name] = "kept";
      continue;
    }
    let value: string | undefined = given(name);
    if (value === undefined && name === "SECRET_KEY") value = randomBytes(48).toString("base64");
    if (value === undefined && name === "ADMIN_PASSWORD_HASH") {
      const password = given("ADMIN_PASSWORD") ?? (await opts.ask?.("Admin password (12+ characters): "));
      if (password !== undefined && password.length < 12)
        throw new Error("ADMIN_PASSWORD: use at least 12 characters");
      if (password) value = await hashPassword(password, opts.bcryptRounds ?? BCRYPT_ROUNDS);
    }
    value ??= (await opts.ask?.(`${name}: `))?.trim() || undefined;
    if (value === undefined) {
      outcome[name] = exists ? "kept" : "missing";
      continue;
    }
    const problem = check(name, value);
    if (problem) throw new Error(`${name}: ${problem}`);
    await opts.ssm.send(
      new PutParameterCommand({
        Name: `${opts.prefix}${name}`,
        Value: value,
        Type: "SecureString",
        Overwrite: exists,
        Description: "Hoardify secret (npm run secrets)",
      }),
    );
    outcome[name] = exists ? "updated" : "created";
  }
  return outcome;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { overwrite: { type: "boolean", default: false }, prefix: { type: "string" } },
  });
  if (existsSync(".env")) process.loadEnvFile(".env");
  const file = readSettingsFile(path.join(REPO_ROOT, SETTINGS_FILE));
  const prefix = deploySettingsSchema.shape.ssmSecretsPrefix.parse(values.prefix ?? file.ssmSecretsPrefix);
  const outcome = await syncSecrets({
    ssm: new SSMClient({}),
    prefix,
    env: process.env,
    ask: process.stdin.isTTY ? prompt : undefined,
    overwrite: values.overwrite,
  });
  for (const [name, what] of Object.entries(outcome)) process.stdout.write(`${prefix}${name}: ${what}\n`);
  const missing = Object.entries(outcome).filter(([, what]) => what === "missing");
  if (missing.length > 0) {
    process.stderr.write(
      `Still missing: ${missing.map(([n]) => n).join(", ")}. Put them in .env (or run this in a terminal to be asked) and run npm run secrets again.\n`,
    );
    process.exit(1);
  }
}

if (import.meta.main) {
  main().catch((err: unknown) => {
    process.stderr.write(`npm run secrets failed: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
