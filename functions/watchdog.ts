import { watchdog } from "#shared/capture/watchdog.ts";
import { getDeps } from "#shared/deps.ts";
import { logger } from "#shared/logger.ts";

/** EventBridge, every minute: restart the playback loop when music plays and no loop lives. */
export const handler = async () => {
  const deps = await getDeps();
  const startLoop = deps.startLoop;
  if (!startLoop) throw new Error("STATE_MACHINE_ARN is not set");
  const outcome = await watchdog(deps, () => startLoop());
  // Once a minute, all day: an idle look is not worth a CloudWatch Logs line.
  if (outcome === "idle") logger.debug("watchdog", { outcome });
  else logger.info("watchdog", { outcome });
  return { outcome };
};
