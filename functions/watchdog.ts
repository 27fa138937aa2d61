import { SFNClient, StartExecutionCommand } from "@aws-sdk/client-sfn";
import { watchdog } from "#shared/capture/watchdog.ts";
import { getDeps } from "#shared/deps.ts";
import { logger } from "#shared/logger.ts";

const sfn = new SFNClient({});

/** EventBridge, every minute: restart the playback loop when music plays and no loop lives. */
export const handler = async () => {
  const stateMachineArn = process.env.STATE_MACHINE_ARN;
  if (!stateMachineArn) throw new Error("STATE_MACHINE_ARN is not set");
  const deps = await getDeps();
  const outcome = await watchdog(deps, async () => {
    await sfn.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify({ state: null }) }));
  });
  logger.info("watchdog", { outcome });
  return { outcome };
};
