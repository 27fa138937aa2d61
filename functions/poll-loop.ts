import { type PollTaskInput, runPollTask } from "#shared/capture/runner.ts";
import { getDeps } from "#shared/deps.ts";
import { logger } from "#shared/logger.ts";

/**
 * The Poll task of the Express state machine (not an HTTP route). It must not fail: a thrown
 * error would end the chain with the tracker state in it, so anything unexpected becomes a
 * wait with the state untouched.
 */
export const handler = async (input: PollTaskInput) => {
  try {
    const deps = await getDeps();
    const out = await runPollTask(deps, input);
    logger.debug("poll", {
      action: out.action,
      next: out.nextDelaySeconds,
      recorded: out.recorded,
      fault: out.fault,
    });
    return out;
  } catch (err) {
    logger.error("poll task failed; keeping state and waiting", err as Error);
    if (!input.state)
      return { action: "stop", nextDelaySeconds: 0, state: null, recorded: 0, stopReason: "error" };
    return { action: "wait", nextDelaySeconds: 30, state: input.state, recorded: 0, fault: "internal" };
  }
};
