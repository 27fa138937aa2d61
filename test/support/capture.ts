import assert from "node:assert/strict";
import { type LocalLoops, startLocalLoops } from "#infra/local/loop.ts";
import { OWNER_ID } from "#shared/domain/listener.ts";
import type { Store } from "#shared/store/port.ts";
import { startTestApp, type TestApp } from "./app.ts";
import { appEnvFor, type FakeSpotify, startFakeSpotify } from "./fake-spotify.ts";
import { startSpotifyHousehold } from "./spotify-household.ts";

/**
 * The local runtime (HTTP server + playback loop) on a virtual clock shared with a fake
 * Spotify, and a script of player actions at exact virtual times. The loop's sleeps advance
 * the clock instead of waiting, firing any scripted action that falls inside the sleep.
 */
export interface CaptureRig {
  app: TestApp;
  fake: FakeSpotify;
  /** Virtual ms since the rig started. */
  elapsed(): number;
  /** Runs the loop until virtual `untilMs`, applying `script` actions at their times. */
  runUntil(untilMs: number): Promise<void>;
  at(ms: number, action: () => void): void;
  /** Each listener's Spotify account: the owner's first, then the members' (`members`). */
  fakes: FakeSpotify[];
  /** The listener ids, in the order of `fakes`. */
  listeners: string[];
  /** How many loops the local runtime runs (one per listener). */
  leases(): number;
  stop(): Promise<void>;
}

export async function linkSpotify(
  store: Store,
  fake: FakeSpotify,
  now: Date,
  tokens: { refresh_token: string } = fake.issueTokens(),
): Promise<void> {
  await store.saveSpotifyLink({
    refresh_token: tokens.refresh_token,
    scope: "user-read-playback-state user-read-currently-playing user-read-recently-played",
    linked_at: now.toISOString(),
    user_id: fake.user.id,
    display_name: fake.user.display_name ?? null,
    needs_reauth: false,
    reauth_reason: null,
  });
}

export interface CaptureRigOptions {
  /** Store a Spotify link before the loop starts (default true); false to link through the routes. */
  linked?: boolean;
  /**
   * Members besides the owner, each with their own Spotify account (test/support/spotify-household.ts)
   * linked before the loops start: `fakes[i]` is member i's account (`fakes[0]`, `fake`, the owner's).
   */
  members?: number;
}

export async function startCaptureRig(opts: CaptureRigOptions = {}): Promise<CaptureRig> {
  let clockRef: (() => number) | undefined;
  const now = () => (clockRef ? clockRef() : Date.now());
  const members = opts.members ?? 0;
  const household = members > 0 ? await startSpotifyHousehold(members + 1, { now }) : null;
  const fake = household ? (household.accounts[0] as FakeSpotify) : await startFakeSpotify({ now });
  const app = await startTestApp({
    ...appEnvFor(household ?? fake),
  });
  clockRef = () => app.deps.clock().getTime();
  const listeners = [OWNER_ID];
  if (household) {
    const at = app.deps.clock();
    for (let i = 1; i <= members; i++) {
      const account = household.accounts[i] as FakeSpotify;
      const id = `member${i}`;
      assert.equal(
        await app.deps.household.addListener({
          listener_id: id,
          handle: `member-${i}`,
          role: "member",
          spotify_id: account.user.id,
          display_name: account.user.display_name ?? null,
          created_at: at.toISOString(),
          last_seen_at: null,
          public: true,
        }),
        "created",
      );
      await linkSpotify(app.deps.household.storeOf(id), account, at, household.issueTokens(i));
      listeners.push(id);
    }
    if (opts.linked ?? true) await linkSpotify(app.deps.store, fake, at, household.issueTokens(0));
  } else if (opts.linked ?? true) {
    await linkSpotify(app.deps.store, fake, app.deps.clock());
  }
  const t0 = app.deps.clock().getTime();
  const script: { at: number; action: () => void }[] = [];
  let limit = t0;
  // Every loop parks here between ticks; the rig wakes the one due first, so several loops
  // share the virtual clock in the order their wake-ups fall.
  const sleepers = new Set<{ target: number; wake: () => void }>();
  let onParked: (() => void) | undefined;

  const advanceTo = (target: number) => {
    script.sort((a, b) => a.at - b.at);
    while (script.length > 0 && (script[0]?.at ?? Infinity) <= target) {
      const next = script.shift();
      if (!next) break;
      app.advance(Math.max(0, next.at - app.deps.clock().getTime()));
      next.action();
    }
    app.advance(Math.max(0, target - app.deps.clock().getTime()));
  };

  // Started on the first runUntil, after the actions scripted for time 0 have been applied.
  let loop: LocalLoops | undefined;
  const startLoop = () =>
    startLocalLoops(app.deps, {
      sleep: async (ms, signal) => {
        if (signal.aborted) return;
        const target = app.deps.clock().getTime() + ms;
        await new Promise<void>((wake) => {
          const me = { target, wake };
          sleepers.add(me);
          onParked?.();
          // Woken early (a kick, or stop): this sleep no longer holds the loop.
          signal.addEventListener(
            "abort",
            () => {
              sleepers.delete(me);
              wake();
            },
            { once: true },
          );
        });
      },
    });
  const loopCount = () => loop?.loops().size ?? 0;
  const allParked = async () => {
    while (sleepers.size < loopCount()) await new Promise<void>((ok) => (onParked = ok));
  };

  return {
    app,
    fake,
    fakes: household?.accounts ?? [fake],
    listeners,
    elapsed: () => app.deps.clock().getTime() - t0,
    at: (ms, action) => script.push({ at: t0 + ms, action }),
    async runUntil(untilMs) {
      if (!loop) {
        advanceTo(t0);
        loop = await startLoop();
      }
      limit = t0 + untilMs;
      for (;;) {
        await allParked();
        let next: { target: number; wake: () => void } | undefined;
        for (const s of sleepers) if (!next || s.target < next.target) next = s;
        if (!next || next.target > limit) break;
        sleepers.delete(next);
        advanceTo(next.target);
        next.wake();
      }
      advanceTo(limit);
    },
    leases: () => loop?.loops().size ?? 0,
    async stop() {
      await loop?.stop();
      if (household) await household.stop();
      else await fake.stop();
      await app.close();
    },
  };
}
