import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "#infra/local/processes.ts";
import {
  ctrlC,
  dynamoPidOf,
  dynamoPortOf,
  type LocalProcess,
  portOpen,
  startLocal,
} from "#test/support/local-process.ts";

/** `npm start` as a person runs it: no .env, an empty data folder, then Ctrl-C. */

let dataDir: string;
const started: LocalProcess[] = [];
after(async () => {
  for (const p of started) if (p.child.exitCode === null) p.child.kill("SIGKILL");
  await rm(dataDir, { recursive: true, force: true });
});

const lanAddress = Object.values(networkInterfaces())
  .flat()
  .find((a) => a && a.family === "IPv4" && !a.internal)?.address;

test("first run prints a one-time password that logs in; Ctrl-C leaves no Java behind; a restart keeps the data; a crashed DynamoDB Local is restarted", {
  timeout: 180_000,
}, async () => {
  dataDir = await mkdtemp(join(tmpdir(), "hoardify-local-"));
  const port = await freePort();
  const first = startLocal(dataDir, { PORT: String(port) });
  started.push(first);
  await first.ready;
  const password = /password: (\S+)/.exec(first.output())?.[1];
  assert.ok(password, `a password is printed:\n${first.output()}`);
  assert.match(first.output(), /SPOTIFY_CLIENT_ID/, "explains what to set for Spotify");
  const dynamoPort = dynamoPortOf(first);
  assert.ok(dynamoPort > 0);

  const health = await fetch(`http://127.0.0.1:${port}/health`);
  assert.equal(health.status, 200);
  // Loopback by default: neither the app nor DynamoDB Local answers on the machine's LAN address.
  if (lanAddress) {
    assert.equal(await portOpen(port, lanAddress), false, `the app is not reachable on ${lanAddress}`);
    assert.equal(await portOpen(dynamoPort, lanAddress), false, `DynamoDB Local is not on ${lanAddress}`);
  }
  const login = (pw: string) =>
    fetch(`http://127.0.0.1:${port}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ username: "admin", password: pw }),
    });
  assert.equal((await login(password)).status, 200);
  assert.equal((await login(`${password}x`)).status, 401);

  assert.equal(await ctrlC(first), 0);
  assert.equal(await portOpen(dynamoPort), false, "DynamoDB Local stopped with the app");

  const second = startLocal(dataDir, { PORT: String(port) });
  started.push(second);
  await second.ready;
  assert.doesNotMatch(second.output(), /password:/, "the password is shown only once");
  assert.match(second.output(), /table hoardify \(exists\)/, "the table persisted under DATA_DIR");
  const token = await login(password);
  assert.equal(token.status, 200, "the stored hash still matches");
  const auth = { authorization: `Bearer ${((await token.json()) as { access_token: string }).access_token}` };

  // DynamoDB Local crashes: storage routes answer 503 at once, and the runtime starts it again.
  const pid = dynamoPidOf(second);
  assert.ok(pid > 0, second.output());
  process.kill(pid, "SIGKILL");
  while (await portOpen(dynamoPortOf(second))) await sleep(50);
  const down = await fetch(`http://127.0.0.1:${port}/plays`, { headers: auth });
  assert.equal(down.status, 503);
  assert.equal(((await down.json()) as { error: string }).error, "storage_unavailable");
  assert.ok(Number(down.headers.get("retry-after")) >= 1);
  // No deadline of our own (the test's timeout bounds it): a loaded machine starts Java slowly.
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${port}/plays`, { headers: auth });
    if (res.status === 200) break;
    assert.equal(res.status, 503);
    await sleep(250);
  }
  assert.match(second.output(), /DynamoDB Local exited \(SIGKILL\); starting it again/);
  assert.match(second.output(), /DynamoDB Local is back on port/);
  assert.equal(await ctrlC(second), 0);
  assert.equal(await portOpen(dynamoPortOf(second)), false, "the restarted DynamoDB Local stopped too");
});
