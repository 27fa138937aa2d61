import assert from "node:assert/strict";
import { test } from "node:test";
import type { SSMClient } from "@aws-sdk/client-ssm";
import { withSsmSecrets } from "#shared/secrets.ts";

type Send = Pick<SSMClient, "send">;

/** A stand-in SSM that pages its answer, as GetParametersByPath does past 10 parameters. */
function fakeSsm(params: Record<string, string>, pageSize = 2): Send & { calls: unknown[] } {
  const entries = Object.entries(params);
  const calls: unknown[] = [];
  return {
    calls,
    send: (async (command: { input: { Path: string; NextToken?: string; WithDecryption?: boolean } }) => {
      calls.push(command.input);
      const start = Number(command.input.NextToken ?? 0);
      const page = entries.slice(start, start + pageSize).map(([Name, Value]) => ({ Name, Value }));
      const next = start + pageSize < entries.length ? String(start + pageSize) : undefined;
      return { Parameters: page, NextToken: next };
    }) as unknown as Send["send"],
  };
}

test("without SSM_SECRETS_PREFIX the environment is returned untouched and SSM is not called", async () => {
  const ssm = fakeSsm({});
  const env = { A: "1" };
  assert.equal(await withSsmSecrets(env, ssm), env);
  assert.equal(ssm.calls.length, 0);
});

test("reads every page under the prefix, decrypted; variables already set win", async () => {
  const ssm = fakeSsm({
    "/hoardify/SECRET_KEY": "from-ssm-secret",
    "/hoardify/ADMIN_PASSWORD_HASH": "hash",
    "/hoardify/SPOTIFY_CLIENT_SECRET": "spotify",
    "/hoardify/UPSTASH_REDIS_REST_TOKEN": "upstash",
    "/hoardify/ADMIN_USERNAME": "ignored-because-set",
  });
  const out = await withSsmSecrets({ SSM_SECRETS_PREFIX: "/hoardify/", ADMIN_USERNAME: "me" }, ssm);
  assert.equal(out.SECRET_KEY, "from-ssm-secret");
  assert.equal(out.UPSTASH_REDIS_REST_TOKEN, "upstash");
  assert.equal(out.ADMIN_USERNAME, "me");
  assert.equal(ssm.calls.length, 3, "followed NextToken through 3 pages");
  assert.ok(ssm.calls.every((c) => (c as { WithDecryption: boolean }).WithDecryption));
});
