import { AsyncLocalStorage } from "node:async_hooks";
import { Logger } from "@aws-lambda-powertools/logger";

/**
 * The one logger: structured JSON lines with the Lambda request id (added per request by
 * the middleware). Level from POWERTOOLS_LOG_LEVEL (the Powertools convention); the tests
 * run it SILENT.
 *
 * The request context the middleware adds stays on the logger after the request ends. On AWS
 * that is harmless (one function per Lambda, jobs are Lambdas of their own), but the local
 * runtime runs the playback loop and the hourly jobs in the same process as the HTTP
 * handlers, so their lines carried the last request's function name and request id. Work
 * started with `runAsJob` logs through a logger of its own, named after the job, whatever
 * requests run meanwhile.
 */
const base = new Logger({ serviceName: "hoardify" });
const jobScope = new AsyncLocalStorage<Logger>();

export const logger: Logger = new Proxy(base, {
  get(target, prop) {
    const current = jobScope.getStore() ?? target;
    const value: unknown = Reflect.get(current, prop, current);
    // Bound to the real logger: its methods use private fields a proxy receiver would lack.
    return typeof value === "function" ? value.bind(current) : value;
  },
});

/** Runs `fn` (and everything it starts) with a job logger: `job: <name>`, no request context. */
export function runAsJob<T>(job: string, fn: () => T): T {
  const jobLogger = new Logger({
    serviceName: "hoardify",
    logLevel: base.getLevelName(),
    persistentKeys: { job },
  });
  return jobScope.run(jobLogger, fn);
}
