import { Logger } from "@aws-lambda-powertools/logger";

/**
 * The one logger: structured JSON lines with the Lambda request id (added per request by
 * the middleware). Level from POWERTOOLS_LOG_LEVEL (the Powertools convention); the tests
 * run it SILENT.
 */
export const logger = new Logger({ serviceName: "hoardify" });
