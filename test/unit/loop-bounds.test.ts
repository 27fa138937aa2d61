/**
 * The loop's limits: the pending list never outgrows the Step Functions payload, and a tick
 * that hangs on Spotify returns before the Lambda timeout with the state it was given.
 */
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { handler } from "#functions/poll-loop.ts";
import { createMemoryCache } from "#shared/cache/memory.ts";
import { boundPending, MAX_PENDING_BYTES, newLoopState } from "#shared/capture/loop.ts";
import { loadConfig } from "#shared/config.ts";
import { buildDeps, setDeps } from "#shared/deps.ts";
import type { FinishedListen } from "#shared/domain/tracker.ts";
import { METRIC_NAMESPACE, METRICS } from "#shared/metrics.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import {
  appEnvFor,
  DEFAULT_SCOPE,
  type FakeSpotify,
  startFakeSpotify,
  track,
} from "#test/support/fake-spotify.ts";
import { dynamoEndpoint, uniqueTableName } from "#test/support/services.ts";

process.env.POWERTOOLS_LOG_LEVEL ??= "SILENT";

function listen(i: number): FinishedListen {
  return {
    item: { key: `track-${i}`, kind: "track", name: `Track ${i} ${"x".repeat(400)}` },
    listened_at: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
    ended_at: new Date(Date.UTC(2026, 0, 1) + i * 60_000 + 50_000).toISOString(),
    listened_ms: 50_000,
    counted: true,
    device: null,
    context: null,
  } as unknown as FinishedListen;
}

test("pending listens within the budget are kept as they are", () => {
  const pending = [listen(1), listen(2)];
  assert.equal(boundPending(pending), pending);
});

test("past the payload budget the oldest pending listens are dropped, the newest kept", () => {
  const pending = Array.from({ length: 1000 }, (_, i) => listen(i));
  assert.ok(Buffer.byteLength(JSON.stringify(pending)) > MAX_PENDING_BYTES);
  const kept = boundPending(pending);
  assert.ok(kept.length > 0 && kept.length < pending.length);
  assert.ok(Buffer.byteLength(JSON.stringify(kept)) <= MAX_PENDING_BYTES);
  assert.deepEqual(kept.at(-1), pending.at(-1), "the newest survives");
  assert.equal(kept[0]?.item.key, `track-${pending.length - kept.length}`, "a contiguous newest tail");
  // One more listen would not fit: the cut is as late as it can be.
  const oneMore = pending.slice(pending.length - kept.length - 1);
  assert.ok(Buffer.byteLength(JSON.stringify(oneMore)) > MAX_PENDING_BYTES);
});

const fakes: FakeSpotify[] = [];
after(() => Promise.all(fakes.map((f) => f.stop())));

/** A fake Spotify (its own URLs, so no access token cached from another test) and a linked hoard. */
async function linkedLoop(): Promise<FakeSpotify> {
  const fake = await startFakeSpotify();
  fakes.push(fake);
  const endpoint = await dynamoEndpoint();
  const config = loadConfig({
    TABLE_NAME: uniqueTableName("tick"),
    DYNAMODB_ENDPOINT: endpoint,
    ...appEnvFor(fake),
  });
  await ensureTable(createDocumentClient({ region: config.AWS_REGION, endpoint }), config.TABLE_NAME);
  const deps = await buildDeps(config, { cache: createMemoryCache() });
  setDeps(deps);
  await deps.store.saveSpotifyLink({
    refresh_token: fake.issueTokens().refresh_token,
    scope: DEFAULT_SCOPE,
    linked_at: new Date().toISOString(),
    user_id: "fakeuser",
    display_name: "Fake User",
    needs_reauth: false,
    reauth_reason: null,
  });
  return fake;
}

test("a tick stuck on Spotify returns before the Lambda timeout, keeping the state it was given", async () => {
  const fake = await linkedLoop();
  fake.player.play(track({ name: "Slow", duration_ms: 300_000 }));
  fake.faults.next(10, { delayMs: 4000 });
  const state = newLoopState("owner-1", Date.now());
  // 2.3 s left: a 300 ms budget after the 2 s margin, far less than one delayed answer.
  const out = (await handler({ state }, { getRemainingTimeInMillis: () => 2300 })) as {
    action: string;
    nextDelaySeconds: number;
    state: unknown;
    fault?: string;
  };
  assert.equal(out.action, "wait");
  assert.equal(out.nextDelaySeconds, 1);
  assert.equal(out.fault, "timeout", "the deadline answered, not the (delayed) tick");
  assert.deepEqual(out.state, state);
});

test("a revoked link ends the loop and emits the SpotifyNeedsReauth metric the alarm watches", async () => {
  const fake = await linkedLoop();
  fake.player.play(track({ name: "Revoked", duration_ms: 300_000 }));
  fake.revokeRefreshTokens();
  const lines: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  let out: { action: string; stopReason?: string };
  try {
    // No access token yet: the refresh is what Spotify refuses.
    out = (await handler({ state: newLoopState("owner-2", Date.now()) })) as typeof out;
  } finally {
    process.stdout.write = write;
  }
  assert.equal(out.stopReason, "revoked");
  const metric = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => "_aws" in l);
  assert.ok(metric, `no EMF line in ${lines.join("")}`);
  assert.equal(metric[METRICS.spotifyNeedsReauth], 1);
  assert.deepEqual(
    (metric._aws as { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string }[] }[] })
      .CloudWatchMetrics[0],
    {
      Namespace: METRIC_NAMESPACE,
      Dimensions: [[]],
      Metrics: [{ Name: METRICS.spotifyNeedsReauth, Unit: "Count" }],
    },
  );
});
