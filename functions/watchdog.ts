import { linkedListeners } from "#shared/capture/listeners.ts";
import { watchdog } from "#shared/capture/watchdog.ts";
import { forListener, getDeps } from "#shared/deps.ts";
import { logger } from "#shared/logger.ts";

/**
 * EventBridge, every minute: for each linked listener, restart their playback loop when music
 * plays and no loop of theirs lives. The listeners are looked at side by side: one slow
 * Spotify answer must not delay the others past the next minute.
 */
export const handler = async () => {
  const deps = await getDeps();
  if (!deps.starters) throw new Error("STATE_MACHINE_ARN is not set");
  const listeners = await linkedListeners(deps);
  const outcomes = await Promise.all(
    listeners.map(async (listener) => {
      const own = forListener(deps, listener);
      const startLoop = own.startLoop;
      if (!startLoop) throw new Error("STATE_MACHINE_ARN is not set");
      const outcome = await watchdog(own, () => startLoop());
      // Once a minute, all day: an idle look is not worth a CloudWatch Logs line.
      if (outcome === "idle") logger.debug("watchdog", { listener, outcome });
      else logger.info("watchdog", { listener, outcome });
      return [listener, outcome] as const;
    }),
  );
  const byListener = Object.fromEntries(outcomes);
  // A single-listener deployment keeps its old answer shape.
  return { outcome: byListener[deps.listener] ?? "not_linked", listeners: byListener };
};
