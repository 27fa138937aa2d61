/**
 * Lambda's own log lines (START, END, REPORT on every invocation) are kept at this level: at
 * WARN they are not ingested. The poll runs ~7,000 times a day of music, so those lines were the
 * second-largest item of the bill after Express (`npm run bench:day`, whose cost model reads this
 * constant, so the bench and the stack cannot disagree). Errors, timeouts and the functions' own
 * JSON lines (Powertools, the EMF metric) are still logged.
 */
export const LAMBDA_SYSTEM_LOG_LEVEL: "DEBUG" | "INFO" | "WARN" = "WARN";
