import { getDeps } from "#shared/deps.ts";
import { logger } from "#shared/logger.ts";
import { ANALYSIS_RUN_MS, runAnalysisJob } from "#shared/lyrics/analysis.ts";

/**
 * The background analysis (shared/lyrics/analysis.ts) as its own function: hourly from
 * EventBridge, and invoked asynchronously by POST /analysis/run (`{trigger: "manual"}`). A
 * run that finds another one holding the lease ends at once.
 */
export const handler = async (event?: { trigger?: unknown }) => {
  const trigger = event?.trigger === "manual" ? "manual" : "schedule";
  const outcome = await runAnalysisJob(await getDeps(), trigger, { runForMs: ANALYSIS_RUN_MS });
  logger.info("analysis", { outcome });
  if (outcome.ran && !outcome.ok) throw new Error(outcome.error ?? "analysis failed");
  return outcome;
};
