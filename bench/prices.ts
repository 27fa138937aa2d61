/**
 * AWS and Upstash list prices used by the cost model, in one place. us-east-1, USD, read from
 * the public pricing pages (AWS Step Functions, Lambda, DynamoDB, Upstash Redis) as of 2026;
 * free tiers are ignored so the numbers hold for an account that has used them up.
 */
export const PRICES = {
  /** Step Functions Express: per request (execution start) and per GB-second, billed in
   *  100 ms steps at the memory the workflow uses, rounded up to 64 MB. */
  expressPerRequest: 1.0 / 1_000_000,
  expressPerGbSecond: 0.00001667,
  expressBilledMemoryGb: 64 / 1024,
  /** Step Functions Standard: per state transition. */
  standardPerTransition: 0.025 / 1000,
  /** Lambda on arm64: per request and per GB-second. */
  lambdaPerRequest: 0.2 / 1_000_000,
  lambdaArmPerGbSecond: 0.0000133334,
  /** DynamoDB on-demand (after the November 2024 price cut): per write / read request unit. */
  dynamoPerWru: 0.625 / 1_000_000,
  dynamoPerRru: 0.125 / 1_000_000,
  /** Upstash Redis pay-as-you-go: per command. */
  upstashPerCommand: 0.2 / 100_000,
} as const;

export const SOURCES =
  "aws.amazon.com/step-functions/pricing, /lambda/pricing, /dynamodb/pricing/on-demand; upstash.com/pricing/redis";

export interface UsagePerDay {
  spotifyCalls: number;
  pollInvocations: number;
  watchdogInvocations: number;
  /** Lambda run time assumed per invocation (ms) and memory (MB). */
  lambdaMsPerInvocation: number;
  lambdaMemoryMb: number;
  /** Billed Lambda time beyond lambdaMsPerInvocation (e.g. a watchdog's second Spotify call), ms per day. */
  extraLambdaMs?: number;
  expressExecutions: number;
  expressSeconds: number;
  standardTransitions: number;
  wru: number;
  rru: number;
  cacheCommands: number;
}

export function monthlyCost(u: UsagePerDay, days = 30) {
  const p = PRICES;
  const invocations = u.pollInvocations + u.watchdogInvocations;
  const lambda =
    invocations * p.lambdaPerRequest +
    ((invocations * u.lambdaMsPerInvocation + (u.extraLambdaMs ?? 0)) / 1000) *
      (u.lambdaMemoryMb / 1024) *
      p.lambdaArmPerGbSecond;
  const stepFunctions =
    u.expressExecutions * p.expressPerRequest +
    u.expressSeconds * p.expressBilledMemoryGb * p.expressPerGbSecond +
    u.standardTransitions * p.standardPerTransition;
  const dynamo = u.wru * p.dynamoPerWru + u.rru * p.dynamoPerRru;
  const cache = u.cacheCommands * p.upstashPerCommand;
  const perDay = { lambda, stepFunctions, dynamo, cache };
  const month = Object.fromEntries(Object.entries(perDay).map(([k, v]) => [k, v * days])) as typeof perDay;
  return { ...month, total: month.lambda + month.stepFunctions + month.dynamo + month.cache };
}
