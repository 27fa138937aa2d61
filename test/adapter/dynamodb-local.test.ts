import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { type SupervisedProcess, superviseDynamoDbLocal } from "#infra/local/processes.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import { portOpen } from "#test/support/local-process.ts";

/**
 * The DynamoDB Local that `npm start` runs: reachable on loopback only (it accepts any
 * credentials, and the table holds the Spotify refresh token), and started again on the same
 * port and data when it crashes.
 */

/** An address of this machine other than loopback, if it has one. */
const lanAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === "IPv4" && !a.internal)?.address;

test("listens on 127.0.0.1 only; a crash is followed by a restart on the same port, data kept", {
  timeout: 240_000,
}, async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), "hoardify-ddb-"));
  const log: string[] = [];
  let dynamo: SupervisedProcess | undefined;
  try {
    dynamo = await superviseDynamoDbLocal({ dataDir, log: (l) => log.push(l) });
    assert.equal(await portOpen(dynamo.port, "127.0.0.1"), true);
    if (lanAddress) {
      assert.equal(await portOpen(dynamo.port, lanAddress), false, `not reachable on ${lanAddress}`);
    } else t.diagnostic("no non-loopback address on this machine: only loopback was checked");

    const client = createDocumentClient({ region: "us-east-1", endpoint: dynamo.endpoint });
    assert.equal(await ensureTable(client, "survivor"), "created");

    const crashed = dynamo.pid();
    assert.ok(crashed);
    process.kill(crashed, "SIGKILL");
    // No deadline of our own: the test's timeout bounds it, a slow machine just takes longer.
    while (dynamo.restarts() === 0) await sleep(100);
    assert.notEqual(dynamo.pid(), crashed);
    assert.equal(await ensureTable(client, "survivor"), "exists", "same port, same data");
    assert.match(log.join("\n"), /exited \(SIGKILL\); starting it again/);
    assert.match(log.join("\n"), /is back on port/);
  } finally {
    await dynamo?.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
  assert.equal(await portOpen(dynamo.port, "127.0.0.1"), false, "stopped for good: no restart after stop");
});
