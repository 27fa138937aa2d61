/**
 * A Step Functions stand-in for the deployed-shape tier: an HTTP endpoint speaking the AWS JSON
 * 1.0 protocol the SDK speaks (POST /, `X-Amz-Target: AWSStepFunctions.StartExecution`; point a
 * client at it with AWS_ENDPOINT_URL_SFN) whose StartExecution runs the template's ASL with
 * aws-local-stepfunctions. Its Lambda tasks invoke the bundled functions (`invoke`), its
 * `states:startExecution` task starts the next execution here (as the state machine's role),
 * and every StartExecution is recorded with the access key that signed it (the IAM check).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type RunOptions, StateMachine, type StateMachineDefinition } from "aws-local-stepfunctions";

type Overrides = NonNullable<RunOptions["overrides"]>;
type JsonValue = Parameters<StateMachine["run"]>[0];
export type EventLog = NonNullable<
  Awaited<ReturnType<ReturnType<StateMachine["run"]>["eventLogs"]["next"]>>["value"]
>;
type Json = Record<string, unknown>;

export interface SfnCall {
  /** The function's logical id (its access key), or the state machine's for its own tasks. */
  accessKeyId: string | undefined;
  /** As IAM names it: states:StartExecution, lambda:InvokeFunction. */
  action: string;
  /** The state machine or function ARN. */
  resource: string;
}

export interface Execution {
  arn: string;
  input: unknown;
  /** Who started it (an access key id, as in `calls`). */
  startedBy: string | undefined;
  events: EventLog[];
  /** Every Lambda task: its state, payload and result (or error). */
  tasks: { state: string; payload: Json; output?: Json; error?: string }[];
  /** The input the Handover task started the successor with, when it ran. */
  handover: unknown;
  status: "running" | "succeeded" | "failed" | "aborted";
  /** Settles when the execution ends, whatever the outcome. */
  done: Promise<void>;
}

export interface SfnServerOpts {
  definition: Json;
  /** The machine's ARN (the only one this stand-in knows). */
  stateMachineArn: string;
  /** The state machine's logical id: the caller its own StartExecution tasks are recorded as. */
  stateMachineId: string;
  /** Invokes a Lambda function by ARN; rejects with the error's type as `name`. */
  invoke(functionArn: string, payload: Json): Promise<unknown>;
  /** Real milliseconds a Wait of `seconds` takes (no test should wait real seconds). */
  waitMs(seconds: number): number;
  /**
   * Moves `execution_started_at` in task payloads this far back: the loop hands over after
   * 4 minutes of its execution, and an execution "started earlier" gets there in seconds.
   */
  startedEarlierMs?: number;
}

export interface SfnServer {
  url: string;
  calls: SfnCall[];
  executions: Execution[];
  /** Aborts the executions still running and closes the endpoint. */
  stop(): Promise<void>;
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/x-amz-json-1.0",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

export async function startSfnServer(opts: SfnServerOpts): Promise<SfnServer> {
  const machine = new StateMachine(opts.definition as unknown as StateMachineDefinition);
  const states = Object.entries(opts.definition.States as Record<string, Json>);
  const calls: SfnCall[] = [];
  const executions: Execution[] = [];
  const aborts = new Set<() => void>();
  let seq = 0;

  const shift = (payload: Json): Json => {
    const at = payload.execution_started_at;
    if (typeof at !== "string" || !opts.startedEarlierMs) return payload;
    return {
      ...payload,
      execution_started_at: new Date(Date.parse(at) - opts.startedEarlierMs).toISOString(),
    };
  };

  function start(input: unknown, startedBy: string | undefined): Execution {
    const arn = `${opts.stateMachineArn.replace(":stateMachine:", ":express:")}:${++seq}`;
    const rec: Execution = {
      arn,
      input,
      startedBy,
      events: [],
      tasks: [],
      handover: null,
      status: "running",
      done: Promise.resolve(),
    };
    let last: Json | undefined;
    const taskResourceLocalHandlers: NonNullable<Overrides["taskResourceLocalHandlers"]> = {};
    const waitTimeOverrides: NonNullable<Overrides["waitTimeOverrides"]> = {};
    for (const [name, state] of states) {
      const resource = String(state.Resource ?? "");
      if (state.Type === "Task" && /:lambda:[^:]+:\d+:function:/.test(resource)) {
        taskResourceLocalHandlers[name] = async (payload) => {
          calls.push({ accessKeyId: opts.stateMachineId, action: "lambda:InvokeFunction", resource });
          const task: Execution["tasks"][number] = { state: name, payload: shift(payload as Json) };
          rec.tasks.push(task);
          try {
            // What Lambda hands back: JSON.
            last = JSON.parse(JSON.stringify(await opts.invoke(resource, task.payload))) as Json;
            task.output = last;
            return last as JsonValue;
          } catch (err) {
            task.error = (err as Error).name;
            // As Step Functions reports a function error: the type as Error, a JSON Cause.
            throw Object.assign(
              new Error(
                JSON.stringify({ errorType: (err as Error).name, errorMessage: (err as Error).message }),
              ),
              { name: (err as Error).name },
            );
          }
        };
      } else if (state.Type === "Task" && resource.endsWith(":states:::states:startExecution")) {
        taskResourceLocalHandlers[name] = async (params) => {
          const p = params as { StateMachineArn: string; Input: unknown };
          calls.push({
            accessKeyId: opts.stateMachineId,
            action: "states:StartExecution",
            resource: p.StateMachineArn,
          });
          rec.handover = p.Input;
          const next = start(p.Input, opts.stateMachineId);
          return { ExecutionArn: next.arn, StartDate: new Date().toISOString() };
        };
      } else if (state.Type === "Wait" && typeof state.SecondsPath === "string") {
        const key = state.SecondsPath.replace(/^\$\./, "");
        Object.defineProperty(waitTimeOverrides, name, {
          enumerable: true,
          // Read as the Wait is entered: the seconds the last task asked for, scaled.
          get: () => opts.waitMs(Number(last?.[key] ?? 0)),
        });
      }
    }
    const execution = machine.run(input as JsonValue, {
      overrides: { taskResourceLocalHandlers, waitTimeOverrides },
      context: { StateMachine: { Id: opts.stateMachineArn, Name: opts.stateMachineArn.split(":").at(-1) } },
      noThrowOnAbort: true,
    });
    aborts.add(execution.abort);
    const events = (async () => {
      for await (const e of execution.eventLogs) rec.events.push(e);
    })();
    rec.done = execution.result
      .then(
        (out) => {
          rec.status = out === null && rec.status === "aborted" ? "aborted" : "succeeded";
        },
        () => {
          rec.status = "failed";
        },
      )
      .then(() => events)
      .finally(() => aborts.delete(execution.abort));
    executions.push(rec);
    return rec;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Json;
    const action = String(req.headers["x-amz-target"] ?? "").replace(/^AWSStepFunctions\./, "");
    const accessKeyId = /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ""))?.[1];
    const stateMachineArn = String(body.stateMachineArn ?? "");
    calls.push({ accessKeyId, action: `states:${action}`, resource: stateMachineArn });
    if (action !== "StartExecution") {
      return reply(res, 400, { __type: "UnknownOperationException", message: `${action} is not stood in` });
    }
    if (stateMachineArn !== opts.stateMachineArn) {
      return reply(res, 400, { __type: "StateMachineDoesNotExist", message: `${stateMachineArn} not found` });
    }
    const rec = start(JSON.parse(String(body.input ?? "{}")), accessKeyId);
    reply(res, 200, { executionArn: rec.arn, startDate: Date.now() / 1000 });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) =>
      reply(res, 500, { __type: "InternalFailure", message: (err as Error).message }),
    );
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    executions,
    async stop() {
      for (const rec of executions) if (rec.status === "running") rec.status = "aborted";
      for (const abort of aborts) abort();
      await Promise.all(executions.map((e) => e.done));
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
