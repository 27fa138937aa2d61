import { GetParametersByPathCommand, SSMClient } from "@aws-sdk/client-ssm";

/**
 * On AWS the secrets (SECRET_KEY, ADMIN_PASSWORD_HASH, SPOTIFY_CLIENT_SECRET,
 * UPSTASH_REDIS_REST_TOKEN) are SSM SecureString parameters under SSM_SECRETS_PREFIX, read
 * once per cold start: never plain text in the template or the function's environment.
 * Returns the environment with those values filled in (variables already set win).
 */
export async function withSsmSecrets(
  env: Record<string, string | undefined>,
  client: Pick<SSMClient, "send"> = new SSMClient({}),
): Promise<Record<string, string | undefined>> {
  const prefix = env.SSM_SECRETS_PREFIX;
  if (!prefix) return env;
  const found: Record<string, string> = {};
  let NextToken: string | undefined;
  do {
    const out = await client.send(
      new GetParametersByPathCommand({ Path: prefix, WithDecryption: true, Recursive: false, NextToken }),
    );
    for (const p of out.Parameters ?? []) {
      const name = p.Name?.slice(prefix.endsWith("/") ? prefix.length : prefix.length + 1);
      if (name && p.Value !== undefined) found[name] = p.Value;
    }
    NextToken = out.NextToken;
  } while (NextToken);
  const merged = { ...env };
  for (const [k, v] of Object.entries(found)) if (!merged[k]) merged[k] = v;
  return merged;
}
