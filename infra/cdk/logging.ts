/**
 * Lambda's own log lines (START, END, REPORT on every invocation) are kept at this level.
 * The poll runs ~7,000 times a day of music; `npm run bench:day` prices the lines (its cost
 * model reads this constant, so the bench and the stack cannot disagree).
 */
export const LAMBDA_SYSTEM_LOG_LEVEL: "DEBUG" | "INFO" | "WARN" = "INFO";
