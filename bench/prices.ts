/**
 * AWS and Upstash list prices used by the cost model, in one place. us-east-1, USD, read from
 * the public pricing pages as of 2026; free tiers are ignored so the numbers hold for an
 * account that has used them up. Every line a real bill for this stack has is here.
 */
export const PRICES = {
  /** Step Functions Express: per request (execution start) and per GB-second, billed in
   *  100 ms steps at the memory the workflow uses, rounded up to 64 MB. */
  expressPerRequest: 1.0 / 1_000_000,
  expressPerGbSecond: 0.00001667,
  expressBilledMemoryGb: 64 / 1024,
  /** Step Functions Standard: per state transition. */
  standardPerTransition: 0.025 / 1000,
  /** Lambda on arm64: per request and per GB-second (billed per ms). */
  lambdaPerRequest: 0.2 / 1_000_000,
  lambdaArmPerGbSecond: 0.0000133334,
  /** DynamoDB on-demand (after the November 2024 price cut): per write / read request unit. */
  dynamoPerWru: 0.625 / 1_000_000,
  dynamoPerRru: 0.125 / 1_000_000,
  /** DynamoDB Standard table class storage, and continuous backups (PITR), per GB-month. */
  dynamoStoragePerGbMonth: 0.25,
  dynamoPitrPerGbMonth: 0.2,
  /** CloudWatch Logs: ingestion per GB, and storage per GB-month (the stack keeps a month). */
  logsIngestPerGb: 0.5,
  logsStoragePerGbMonth: 0.03,
  /** API Gateway HTTP API: per request (first 300 million a month). */
  httpApiPerRequest: 1.0 / 1_000_000,
  /** Upstash Redis pay-as-you-go: per command. */
  upstashPerCommand: 0.2 / 100_000,
} as const;

export const SOURCES =
  "aws.amazon.com/step-functions/pricing, /lambda/pricing, /dynamodb/pricing/on-demand, /cloudwatch/pricing, /api-gateway/pricing; upstash.com/pricing/redis";

/** CloudWatch Logs bills each event's message plus 26 bytes of overhead. */
export const LOG_EVENT_OVERHEAD_BYTES = 26;
/**
 * Lambda's platform lines per invocation in text format (START ~80 B, END ~50 B, REPORT
 * ~230 B, each an event): dropped when the function's system log level is WARN.
 */
export const PLATFORM_LOG_BYTES = 80 + 50 + 230 + 3 * LOG_EVENT_OVERHEAD_BYTES;

export interface LambdaUsage {
  /** The function, as in the stack. */
  name: string;
  invocations: number;
  /** Billed time of one invocation (ms) at `memoryMb`; `extraMs` is added once for the day. */
  msEach: number;
  memoryMb: number;
  extraMs?: number;
  /** Application log bytes per day, events included. */
  appLogBytes: number;
  /** Whether the platform START/END/REPORT lines are ingested (system log level INFO). */
  platformLogs: boolean;
}

export interface UsagePerDay {
  spotifyCalls: number;
  lambdas: LambdaUsage[];
  expressExecutions: number;
  expressSeconds: number;
  standardTransitions: number;
  wru: number;
  rru: number;
  /** Bytes the table grows by per day (priced as a year's hoard: storage and PITR). */
  storageBytesPerDay: number;
  cacheCommands: number;
  httpRequests: number;
}

export const BILL_LINES = [
  "Express requests",
  "Express duration",
  "Standard transitions",
  "Lambda requests",
  "Lambda compute",
  "DynamoDB writes",
  "DynamoDB reads",
  "DynamoDB storage + PITR (a year's hoard)",
  "CloudWatch Logs",
  "HTTP API requests",
  "Upstash commands",
] as const;
export type BillLine = (typeof BILL_LINES)[number];

export interface MonthlyBill {
  lines: Record<BillLine, number>;
  total: number;
}

export function monthlyBill(u: UsagePerDay, days = 30): MonthlyBill {
  const p = PRICES;
  const invocations = u.lambdas.reduce((n, l) => n + l.invocations, 0);
  const gbSeconds = u.lambdas.reduce(
    (sum, l) => sum + ((l.invocations * l.msEach + (l.extraMs ?? 0)) / 1000) * (l.memoryMb / 1024),
    0,
  );
  const logBytes = u.lambdas.reduce(
    (sum, l) => sum + l.appLogBytes + (l.platformLogs ? l.invocations * PLATFORM_LOG_BYTES : 0),
    0,
  );
  const gb = (bytes: number) => bytes / 1024 ** 3;
  const perDay: Record<BillLine, number> = {
    "Express requests": u.expressExecutions * p.expressPerRequest,
    "Express duration": u.expressSeconds * p.expressBilledMemoryGb * p.expressPerGbSecond,
    "Standard transitions": u.standardTransitions * p.standardPerTransition,
    "Lambda requests": invocations * p.lambdaPerRequest,
    "Lambda compute": gbSeconds * p.lambdaArmPerGbSecond,
    "DynamoDB writes": u.wru * p.dynamoPerWru,
    "DynamoDB reads": u.rru * p.dynamoPerRru,
    // A month's bill for a year of hoard, spread over the month's days.
    "DynamoDB storage + PITR (a year's hoard)":
      (gb(u.storageBytesPerDay * 365) * (p.dynamoStoragePerGbMonth + p.dynamoPitrPerGbMonth)) / days,
    // Ingested once; stored for the month the stack keeps them.
    "CloudWatch Logs": gb(logBytes) * (p.logsIngestPerGb + p.logsStoragePerGbMonth),
    "HTTP API requests": u.httpRequests * p.httpApiPerRequest,
    "Upstash commands": u.cacheCommands * p.upstashPerCommand,
  };
  const lines = Object.fromEntries(BILL_LINES.map((k) => [k, perDay[k] * days])) as Record<BillLine, number>;
  return { lines, total: Object.values(lines).reduce((a, b) => a + b, 0) };
}
