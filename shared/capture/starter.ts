import type { LoopState } from "./loop.ts";

/**
 * Starts a playback loop now: a Step Functions execution on AWS (stepFunctionsStarter), the
 * local loop on one machine (infra/local/loop.ts). `handover` continues from a state a manual
 * poll already built; without it the loop starts fresh (and catches up first).
 * Kept apart from kick.ts so every handler's deps can carry it without bundling the loop.
 */
export type LoopStarter = (handover?: LoopState) => Promise<void>;

/** One loop per listener: the starter of each. */
export type LoopStarters = (listener: string) => LoopStarter;

/**
 * The AWS starter: one StartExecution of the playback state machine with `{state, listener}`
 * as input; the listener then rides in the state from one execution to its successor.
 */
export function stepFunctionsStarters(stateMachineArn: string): LoopStarters {
  let client: import("@aws-sdk/client-sfn").SFNClient | undefined;
  return (listener) => async (handover) => {
    const { SFNClient, StartExecutionCommand } = await import("@aws-sdk/client-sfn");
    client ??= new SFNClient({});
    await client.send(
      new StartExecutionCommand({
        stateMachineArn,
        input: JSON.stringify({ state: handover ? { ...handover, listener } : null, listener }),
      }),
    );
  };
}
