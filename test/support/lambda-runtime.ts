/**
 * One Lambda function's process in the deployed-shape tests: imports the bundled asset (given as
 * argv[2]) the way the Node 24 runtime does and answers invocations over IPC. Imports nothing
 * itself, so the bundle resolves only what sits beside it in cdk.out (@aws-sdk/*).
 */
const entry = process.argv[2];
if (!entry) throw new Error("usage: lambda-runtime <index.mjs>");
const timeoutMs = Number(process.env.HARNESS_TIMEOUT_MS ?? 10_000);

interface Invocation {
  id: number;
  event: unknown;
}

const mod = (await import(entry)) as { handler: (event: unknown, context: unknown) => Promise<unknown> };
let seq = 0;
process.on("message", (msg: Invocation) => {
  const deadline = Date.now() + timeoutMs;
  const context = {
    awsRequestId: `req-${process.pid}-${++seq}`,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  mod.handler(msg.event, context).then(
    (result) => process.send?.({ id: msg.id, result }),
    (err: unknown) =>
      process.send?.({
        id: msg.id,
        error: { errorType: (err as Error).name, errorMessage: (err as Error).message },
      }),
  );
});
process.send?.({ ready: true });
