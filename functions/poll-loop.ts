import type { Context } from "aws-lambda";
import {
  isReleaseInput,
  type PollTaskInput,
  type ReleaseTaskInput,
  runPollTask,
  runReleaseTask,
  taskListener,
} from "#shared/capture/runner.ts";
import { getDeps } from "#shared/deps.ts";
import { logger } from "#shared/logger.ts";
import { emitMetric, METRICS } from "#shared/metrics.ts";

/**
 * The Poll and Release tasks of the Express state machine (not an HTTP route; one function,
 * two inputs). A Poll that throws is caught by the state machine, which runs Release (let go of
 * the lease, park the unstored listens, record the failure) and fails the execution, so the
 * watchdog starts a new chain within a minute instead of one waiting out a stale lease.
 */

/** Left for the runtime to return the result before Lambda's own timeout kills the tick. */
const DEADLINE_MARGIN_MS = 2000;

export const handler = async (
  input: PollTaskInput | ReleaseTaskInput,
  context?: Pick<Context, "getRemainingTimeInMillis">,
) => {
  const deps = await getDeps();
  if (isReleaseInput(input)) return runReleaseTask(deps, input);

  const budgetMs = (context?.getRemainingTimeInMillis() ?? 20_000) - DEADLINE_MARGIN_MS;
  let timer: NodeJS.Timeout | undefined;
  const overran = new Promise<"overran">((resolve) => {
    timer = setTimeout(() => resolve("overran"), Math.max(0, budgetMs));
  });
  try {
    const out = await Promise.race([runPollTask(deps, input), overran]);
    if (out === "overran") {
      // The state is the one this tick started from: the next tick looks again, and whatever
      // the slow one still writes is idempotent (plays are keyed, the snapshot is last-wins).
      if (!input.state) throw new Error(`the first tick overran its ${budgetMs} ms budget`);
      logger.warn("tick overran its time budget; waiting and trying again", { budgetMs });
      return {
        action: "wait",
        nextDelaySeconds: 1,
        state: input.state,
        listener: taskListener(input),
        recorded: 0,
        fault: "timeout",
      };
    }
    if (out.stopReason === "revoked") emitMetric(METRICS.spotifyNeedsReauth, 1);
    logger.debug("poll", {
      action: out.action,
      next: out.nextDelaySeconds,
      recorded: out.recorded,
      fault: out.fault,
    });
    return out;
  } finally {
    clearTimeout(timer);
  }
};
