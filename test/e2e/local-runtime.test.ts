import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { freePort } from "#infra/local/processes.ts";

/** `npm start` as a person runs it: no .env, an empty data folder, then Ctrl-C. */

const main = fileURLToPath(new URL("../../infra/local/main.ts", import.meta.url));
let dataDir: string;
const children: ChildProcess[] = [];
after(async () => {
  for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  await rm(dataDir, { recursive: true, force: true });
});

function start(port: number): { child: ChildProcess; output: () => string; ready: Promise<void> } {
  // cwd is the data folder's parent, so no developer .env in the repo leaks into the test.
  const child = spawn(process.execPath, [main], {
    cwd: join(dataDir, ".."),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, PORT: String(port), DATA_DIR: dataDir },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let out = "";
  const ready = new Promise<void>((ok, fail) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes("is listening on")) ok();
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => fail(new Error(`exited ${code} before listening:\n${out}`)));
  });
  return { child, output: () => out, ready };
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((ok) => child.once("exit", (code) => ok(code)));
  child.kill("SIGINT");
  return exited;
}

const portOpen = (port: number) =>
  new Promise<boolean>((ok) => {
    const s = connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      ok(true);
    });
    s.once("error", () => ok(false));
  });

test("first run prints a one-time password that logs in; Ctrl-C leaves no Java behind; a restart keeps the data", {
  timeout: 120_000,
}, async () => {
  dataDir = await mkdtemp(join(tmpdir(), "hoardify-local-"));
  const port = await freePort();
  const first = start(port);
  await first.ready;
  const password = /password: (\S+)/.exec(first.output())?.[1];
  assert.ok(password, `a password is printed:\n${first.output()}`);
  assert.match(first.output(), /SPOTIFY_CLIENT_ID/, "explains what to set for Spotify");
  const dynamoPort = Number(/DynamoDB Local at http:\/\/127\.0\.0\.1:(\d+)/.exec(first.output())?.[1]);
  assert.ok(dynamoPort > 0);

  const health = await fetch(`http://127.0.0.1:${port}/health`);
  assert.equal(health.status, 200);
  const login = (pw: string) =>
    fetch(`http://127.0.0.1:${port}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ username: "admin", password: pw }),
    });
  assert.equal((await login(password)).status, 200);
  assert.equal((await login(`${password}x`)).status, 401);

  assert.equal(await stop(first.child), 0);
  assert.equal(await portOpen(dynamoPort), false, "DynamoDB Local stopped with the app");

  const second = start(port);
  await second.ready;
  assert.doesNotMatch(second.output(), /password:/, "the password is shown only once");
  assert.match(second.output(), /table hoardify \(exists\)/, "the table persisted under DATA_DIR");
  assert.equal((await login(password)).status, 200, "the stored hash still matches");
  assert.equal(await stop(second.child), 0);
});
