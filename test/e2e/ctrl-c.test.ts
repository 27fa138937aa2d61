import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "#infra/local/processes.ts";
import { appEnvFor, type FakeSpotify, startFakeSpotify, track } from "#test/support/fake-spotify.ts";
import { ctrlC, dynamoPortOf, type LocalProcess, portOpen, startLocal } from "#test/support/local-process.ts";

/**
 * Ctrl-C in the middle of a listen: `npm start` as a child process (its own DynamoDB Local),
 * the fake Spotify playing a long track, SIGINT to the whole process group as a terminal sends
 * it. The listen in progress must be stored before DynamoDB Local stops: counted over HTTP
 * before the signal and after a restart.
 */

let dataDir: string;
let fake: FakeSpotify;
const started: LocalProcess[] = [];
after(async () => {
  for (const p of started) if (p.child.exitCode === null) p.child.kill("SIGKILL");
  await fake?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const SONG = track({ name: "Long Song", duration_ms: 600_000 });

test("Ctrl-C during a listen stores it; DynamoDB Local stops after", { timeout: 300_000 }, async () => {
  dataDir = await mkdtemp(join(tmpdir(), "hoardify-ctrl-c-"));
  fake = await startFakeSpotify();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = { PORT: String(port), ...appEnvFor(fake, `${url}/spotify/callback`) };
  const run = async () => {
    const p = startLocal(dataDir, env);
    started.push(p);
    await p.ready;
    return p;
  };
  const login = async (password: string) => {
    const res = await fetch(`${url}/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ username: "admin", password }),
    });
    assert.equal(res.status, 200);
    return { authorization: `Bearer ${((await res.json()) as { access_token: string }).access_token}` };
  };
  const plays = async (auth: Record<string, string>) => {
    const res = await fetch(`${url}/plays`, { headers: auth });
    assert.equal(res.status, 200);
    return ((await res.json()) as { items: { track_id: string; listened_ms: number }[] }).items;
  };

  // 1. Link Spotify through the real OAuth flow, then stop.
  const first = await run();
  const password = /password: (\S+)/.exec(first.output())?.[1] ?? assert.fail(first.output());
  const auth = await login(password);
  const consent = (await (await fetch(`${url}/spotify/authorize`, { headers: auth })).json()) as {
    url: string;
  };
  const back = await fetch(consent.url, { redirect: "manual" });
  const callback = back.headers.get("location") ?? assert.fail("no redirect from the consent page");
  const linked = await fetch(callback, { headers: { accept: "application/json" } });
  assert.equal(linked.status, 200, await linked.clone().text());
  assert.equal(await ctrlC(first), 0);

  // 2. Music plays before the start, so the loop's first look finds it and follows the listen.
  fake.player.play(SONG);
  const second = await run();
  const auth2 = await login(password);
  for (;;) {
    const now = (await (await fetch(`${url}/spotify/now-playing`)).json()) as {
      state: string;
      title?: string;
    };
    if (now.state === "playing" && now.title === "Long Song") break;
    await sleep(250);
  }
  assert.equal((await plays(auth2)).length, 0, "an open listen is not stored yet");
  await sleep(2500); // a few more seconds of listening
  const dynamoPort = dynamoPortOf(second);
  assert.equal(await ctrlC(second), 0, second.output());
  assert.doesNotMatch(second.output(), /could not store the last listen/);
  assert.equal(await portOpen(dynamoPort), false, "DynamoDB Local was stopped by the app");

  // 3. After a restart the listen is there, with the time it was listened to.
  const third = await run();
  const stored = await plays(await login(password));
  assert.equal(stored.length, 1, JSON.stringify(stored));
  assert.equal(stored[0]?.track_id, SONG.id);
  assert.ok((stored[0]?.listened_ms ?? 0) >= 2000, `listened ${stored[0]?.listened_ms} ms`);
  assert.equal(await ctrlC(third), 0);
});
