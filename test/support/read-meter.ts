import type { ConsumedCapacity } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";

/** What one client sent since the last reset: requests, and the read units reads consumed. */
export interface ReadMeter {
  requests: number;
  rcu: number;
  reset(): void;
}

const READS = /^(Get|BatchGet|Query|Scan|TransactGet)/;

/**
 * Asks DynamoDB for the consumed capacity of every call this client makes and sums the read
 * units of the reads (as DynamoDB Local reports them: by item size, without AWS's 0.5 minimum
 * per request or key). Writes count as requests only.
 */
export function meterReads(client: DynamoDBDocumentClient): ReadMeter {
  const m: ReadMeter = {
    requests: 0,
    rcu: 0,
    reset() {
      m.requests = 0;
      m.rcu = 0;
    },
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      (args.input as { ReturnConsumedCapacity?: string }).ReturnConsumedCapacity = "TOTAL";
      const out = await next(args);
      m.requests += 1;
      if (READS.test(context.commandName ?? "")) {
        const used = (out.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] })
          .ConsumedCapacity;
        for (const c of [used ?? []].flat()) m.rcu += c.ReadCapacityUnits ?? c.CapacityUnits ?? 0;
      }
      return out;
    },
    { step: "initialize", name: "readMeter" },
  );
  return m;
}
