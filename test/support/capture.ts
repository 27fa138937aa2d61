import { type LocalLoop, startLocalLoop } from "#infra/local/loop.ts";
import type { Store } from "#shared/store/port.ts";
import { startTestApp, type TestApp } from "./app.ts";
import { appEnvFor, type FakeSpotify, startFakeSpotify } from "./fake-spotify.ts";

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
  stop(): Promise<void>;
}

export async function linkSpotify(store: Store, fake: FakeSpotify, now: Date): Promise<void> {
  const tokens = fake.issueTokens();
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
}

export async function startCaptureRig(opts: CaptureRigOptions = {}): Promise<CaptureRig> {
  let clockRef: (() => number) | undefined;
  const fake = await startFakeSpotify({ now: () => (clockRef ? clockRef() : Date.now()) });
  const app = await startTestApp({
    ...appEnvFor(fake),
  });
  clockRef = () => app.deps.clock().getTime();
  if (opts.linked ?? true) await linkSpotify(app.deps.store, fake, app.deps.clock());
  const t0 = app.deps.clock().getTime();
  const script: { at: number; action: () => void }[] = [];
  let limit = t0;
  // The loop parks here when its next wake-up lies past what the test has allowed.
  let parked: { target: number; wake: () => void } | undefined;
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
  let loop: LocalLoop | undefined;
  const startLoop = () =>
    startLocalLoop(app.deps, {
      sleep: async (ms, signal) => {
        const target = app.deps.clock().getTime() + ms;
        if (target > limit && !signal.aborted) {
          await new Promise<void>((wake) => {
            const me = { target, wake };
            parked = me;
            onParked?.();
            // Woken early (a kick, or stop): this sleep no longer holds the loop.
            signal.addEventListener(
              "abort",
              () => {
                if (parked === me) parked = undefined;
                wake();
              },
              { once: true },
            );
          });
          if (signal.aborted) return;
        }
        advanceTo(target);
      },
    });

  return {
    app,
    fake,
    elapsed: () => app.deps.clock().getTime() - t0,
    at: (ms, action) => script.push({ at: t0 + ms, action }),
    async runUntil(untilMs) {
      if (!loop) {
        advanceTo(t0);
        loop = startLoop();
      }
      limit = t0 + untilMs;
      for (;;) {
        if (!parked) {
          await new Promise<void>((ok) => (onParked = ok));
          continue;
        }
        if (parked.target > limit) break;
        const p = parked;
        parked = undefined;
        const parkedAgain = new Promise<void>((ok) => (onParked = ok));
        p.wake();
        await parkedAgain;
      }
      advanceTo(limit);
    },
    async stop() {
      await loop?.stop();
      await fake.stop();
      await app.close();
    },
  };
}
