import { GetParametersByPathCommand, SSMClient } from "@aws-sdk/client-ssm";
import { configSchema } from "./config.ts";
import { awsOutageReason, DependencyUnavailableError } from "./outage.ts";

/** The SSM client of a cold start, with timeouts: a stalled SSM is a 503, not a hung request. */
function ssmClient(env: Record<string, string | undefined>): SSMClient {
  const timeoutMs = configSchema.shape.SSM_TIMEOUT_MS.parse(env.SSM_TIMEOUT_MS);
  return new SSMClient({
    maxAttempts: 2,
    requestHandler: {
      connectionTimeout: Math.min(1000, timeoutMs),
      requestTimeout: timeoutMs,
      throwOnRequestTimeout: true,
    },
  });
}

/**
 * On AWS the secrets (SECRET_KEY, ADMIN_PASSWORD_HASH, SPOTIFY_CLIENT_SECRET,
 * UPSTASH_REDIS_REST_TOKEN) are SSM SecureString parameters under SSM_SECRETS_PREFIX, read
 * once per cold start: never plain text in the template or the function's environment.
 * Returns the environment with those values filled in (variables already set win).
 */
export async function withSsmSecrets(
  env: Record<string, string | undefined>,
  client?: Pick<SSMClient, "send">,
): Promise<Record<string, string | undefined>> {
  const prefix = env.SSM_SECRETS_PREFIX;
  if (!prefix) return env;
  const ssm = client ?? ssmClient(env);
  const found: Record<string, string> = {};
  let NextToken: string | undefined;
  do {
    const out = await ssm
      .send(
        new GetParametersByPathCommand({ Path: prefix, WithDecryption: true, Recursive: false, NextToken }),
      )
      .catch((err: unknown) => {
        const reason = awsOutageReason(err);
        throw reason ? new DependencyUnavailableError("secrets", reason, { cause: err }) : err;
      });
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
