import { ArnFormat, Aws, Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import { Rule, Schedule } from "aws-cdk-lib/aws-events";
import { LambdaFunction } from "aws-cdk-lib/aws-events-targets";
import { PolicyStatement } from "aws-cdk-lib/aws-iam";
import type { CfnFunction, IFunction } from "aws-cdk-lib/aws-lambda";
import type { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, RetentionDays } from "aws-cdk-lib/aws-logs";
import {
  Choice,
  Condition,
  CustomState,
  DefinitionBody,
  Fail,
  JsonPath,
  LogLevel,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
  Wait,
  WaitTime,
} from "aws-cdk-lib/aws-stepfunctions";
import { LambdaInvoke } from "aws-cdk-lib/aws-stepfunctions-tasks";
import { Construct } from "constructs";

/**
 * The playback loop on AWS (docs/ARCHITECTURE.md, "The playback loop"): an Express state machine
 *
 *   Poll (Lambda) → Decide ─ wait ─────→ Wait ($.nextDelaySeconds) → Poll
 *                          ├ handover ─→ Handover (StartExecution of itself, {state}) → Done
 *                          └ otherwise ─→ Done
 *   Poll, Handover ─ any error (Catch) ─→ Release (Lambda: lease, parked listens, job run) → Failed
 *
 * and the every-minute watchdog that starts a chain when music plays and none is alive.
 * The Poll task's contract is shared/capture/runner.ts (`runPollTask`).
 */

/** State names; tests bind local handlers and Wait overrides by these. */
export const PLAYBACK_STATES = {
  poll: "Poll",
  decide: "Decide",
  wait: "Wait",
  handover: "Handover",
  done: "Done",
  release: "Release",
  failed: "Failed",
} as const;

export interface PlaybackLoopProps {
  /** functions/poll-loop.ts: one tick of the loop per Poll state. */
  readonly pollFunction: IFunction;
  /** functions/watchdog.ts: gets STATE_MACHINE_ARN and may start executions of this machine only. */
  readonly watchdogFunction: NodejsFunction;
  /**
   * Fixed so the machine can be granted StartExecution on its own ARN, built from the name:
   * a reference to the machine's ARN from its own role policy or definition is a CDK cycle.
   */
  readonly stateMachineName: string;
}

export class PlaybackLoop extends Construct {
  readonly stateMachine: StateMachine;
  readonly logGroup: LogGroup;
  readonly watchdogRule: Rule;
  /** The machine's ARN assembled from its name (no reference to the resource). */
  readonly selfArn: string;

  constructor(scope: Construct, id: string, props: PlaybackLoopProps) {
    super(scope, id);
    const stack = Stack.of(this);
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(props.stateMachineName)) {
      throw new Error(`stateMachineName must be 1-80 of [A-Za-z0-9_-] (got ${props.stateMachineName})`);
    }
    this.selfArn = stack.formatArn({
      service: "states",
      resource: "stateMachine",
      resourceName: props.stateMachineName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });

    const poll = new LambdaInvoke(this, PLAYBACK_STATES.poll, {
      lambdaFunction: props.pollFunction,
      payload: TaskInput.fromObject({
        state: JsonPath.objectAt("$.state"),
        // Whose player: every execution input and every Poll output names the listener.
        listener: JsonPath.stringAt("$.listener"),
        // A successor execution restarts the 5-minute Express clock: the tick hands over by it.
        execution_started_at: JsonPath.executionStartTime,
      }),
      // The function's own result is the next state's input: no {Payload, StatusCode} envelope.
      payloadResponseOnly: true,
      // The CDK default (6 attempts from 2 s) could outlive the 5-minute execution; a tick that
      // still fails ends the chain and the watchdog starts a new one.
      retryOnServiceExceptions: false,
    });
    poll.addRetry({
      errors: [
        "Lambda.ServiceException",
        "Lambda.AWSLambdaException",
        "Lambda.SdkClientException",
        "Lambda.ClientExecutionTimeoutException",
        "Lambda.TooManyRequestsException",
      ],
      interval: Duration.seconds(1),
      maxAttempts: 2,
      backoffRate: 2,
    });

    const done = new Succeed(this, PLAYBACK_STATES.done);
    // Whole seconds only: the tick already rounds (1-2 s while playing, never past the track end).
    const wait = new Wait(this, PLAYBACK_STATES.wait, { time: WaitTime.secondsPath("$.nextDelaySeconds") });
    // Continue-as-new. Request-response (not .sync: this execution ends right after). The ARN is
    // the running machine's own, from the context object at run time; the CDK StartExecution task
    // takes the ARN and its IAM grant from one state-machine reference, so it cannot express
    // "myself" without a cycle or an IAM resource of "$$.StateMachine.Id". No retry: a lost
    // response could start two successors; a failed handover ends the chain, the lease expires
    // and the watchdog restarts it (the open listen is re-derived from Spotify's timestamp).
    const handover = new CustomState(this, PLAYBACK_STATES.handover, {
      stateJson: {
        Type: "Task",
        Resource: `arn:${Aws.PARTITION}:states:::states:startExecution`,
        Parameters: {
          "StateMachineArn.$": "$$.StateMachine.Id",
          Input: { "state.$": "$.state", "listener.$": "$.listener" },
        },
      },
    });
    handover.next(done);

    // Nothing ends silently: a Poll or Handover that fails for good lets go of the lease at once
    // (the watchdog restarts the chain within a minute, not after the lease's 6), keeps the
    // unstored listens and records the failure; the execution then fails, which the alarms see.
    const failed = new Fail(this, PLAYBACK_STATES.failed, {
      error: "PlaybackLoopTaskFailed",
      cause: "A Poll or Handover task failed; see the Release task's log and JOB#playback-loop",
    });
    const release = new LambdaInvoke(this, PLAYBACK_STATES.release, {
      lambdaFunction: props.pollFunction,
      payload: TaskInput.fromObject({
        release: true,
        state: JsonPath.objectAt("$.state"),
        failure: JsonPath.objectAt("$.failure"),
        execution_started_at: JsonPath.executionStartTime,
      }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
    });
    release.addRetry({
      errors: ["States.ALL"],
      interval: Duration.seconds(1),
      maxAttempts: 2,
      backoffRate: 2,
    });
    release.addCatch(failed, { resultPath: "$.releaseFailure" });
    release.next(failed);
    poll.addCatch(release, { errors: ["States.ALL"], resultPath: "$.failure" });
    handover.addCatch(release, { errors: ["States.ALL"], resultPath: "$.failure" });

    const decide = new Choice(this, PLAYBACK_STATES.decide)
      .when(Condition.stringEquals("$.action", "wait"), wait.next(poll))
      .when(Condition.stringEquals("$.action", "handover"), handover)
      .otherwise(done);

    this.logGroup = new LogGroup(this, "Logs", {
      // The vendedlogs prefix keeps Step Functions' log delivery out of the account's
      // size-limited CloudWatch Logs resource policy.
      logGroupName: `/aws/vendedlogs/states/${props.stateMachineName}`,
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new StateMachine(this, "StateMachine", {
      stateMachineName: props.stateMachineName,
      stateMachineType: StateMachineType.EXPRESS,
      definitionBody: DefinitionBody.fromChainable(poll.next(decide)),
      // Express's hard limit; the tick hands over after 4 minutes.
      timeout: Duration.minutes(5),
      logs: { destination: this.logGroup, level: LogLevel.ERROR, includeExecutionData: true },
      tracingEnabled: false,
    });
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({ actions: ["states:StartExecution"], resources: [this.selfArn] }),
    );

    this.allowStart(props.watchdogFunction);
    this.watchdogRule = scheduleFunction(this, "WatchdogSchedule", {
      fn: props.watchdogFunction,
      schedule: Schedule.rate(Duration.minutes(1)),
      description: "Hoardify watchdog: restarts the playback loop when music plays and no loop is alive",
    });

    const pollLogicalId = stack.getLogicalId(props.pollFunction.node.defaultChild as CfnFunction);
    Validations.of(this.stateMachine).acknowledge(
      {
        id: "AwsSolutions-SF1",
        reason:
          "ERROR level on purpose: ALL would log every transition of a loop that polls every 1-2 s around the clock (CloudWatch Logs ingestion would cost more than the Express executions); failures are logged with their execution data.",
      },
      {
        id: "AwsSolutions-SF2",
        reason:
          "X-Ray off on purpose: a trace per 1-2 s tick costs more than the loop itself; Lambda logs and the ERROR-level execution log cover diagnosis.",
      },
      {
        id: "AwsSolutions-IAM5[Resource::*]",
        reason:
          "Added by CDK for Step Functions log delivery: logs:CreateLogDelivery, GetLogDelivery, ListLogDeliveries, PutResourcePolicy and friends have no resource-level permissions.",
      },
      {
        id: `AwsSolutions-IAM5[Resource::<${pollLogicalId}.Arn>:*]`,
        reason:
          "Added by the CDK LambdaInvoke task: invoke the poll function and its versions/aliases; the wildcard is the qualifier of that one function.",
      },
    );
  }

  /** Lets `fn` start this machine (the watchdog, and routes with `startsLoop`: shared/capture/kick.ts). */
  allowStart(fn: NodejsFunction): void {
    fn.addEnvironment("STATE_MACHINE_ARN", this.stateMachine.stateMachineArn);
    this.stateMachine.grantStartExecution(fn);
  }
}

export interface ScheduleFunctionProps {
  readonly fn: IFunction;
  readonly schedule: Schedule;
  readonly description: string;
  /** Drop an undelivered event after this long; default one minute (the next tick supersedes it). */
  readonly maxEventAge?: Duration;
}

/** An EventBridge rule invoking `fn` on `schedule`; the watchdog and the scheduled jobs use it. */
export function scheduleFunction(scope: Construct, id: string, props: ScheduleFunctionProps): Rule {
  return new Rule(scope, id, {
    schedule: props.schedule,
    description: props.description,
    targets: [
      new LambdaFunction(props.fn, {
        maxEventAge: props.maxEventAge ?? Duration.minutes(1),
        retryAttempts: 2,
      }),
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// The synthesized definition, for tests that run it (aws-local-stepfunctions)
// ---------------------------------------------------------------------------------------------

/** What pseudo parameters resolve to in `stateMachineDefinitionOf`. */
export const PLACEHOLDER_ENV = {
  partition: "aws",
  region: "us-east-1",
  account: "123456789012",
  urlSuffix: "amazonaws.com",
} as const;

interface TemplateJson {
  Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

/** The ARN a resource of the template gets in a resolved definition (by its type). */
export function placeholderArn(template: TemplateJson, logicalId: string): string {
  const resource = template.Resources?.[logicalId];
  if (!resource) throw new Error(`no resource ${logicalId} in the template`);
  const { partition, region, account } = PLACEHOLDER_ENV;
  const name = resource.Properties?.StateMachineName;
  switch (resource.Type) {
    case "AWS::Lambda::Function":
      return `arn:${partition}:lambda:${region}:${account}:function:${logicalId}`;
    case "AWS::StepFunctions::StateMachine":
      return `arn:${partition}:states:${region}:${account}:stateMachine:${typeof name === "string" ? name : logicalId}`;
    default:
      return `arn:${partition}:${resource.Type.split("::")[1]?.toLowerCase() ?? "unknown"}:${region}:${account}:${logicalId}`;
  }
}

/** Resolves the intrinsics CDK puts in a DefinitionString: Ref, Fn::GetAtt …Arn, Fn::Join. */
export function resolvePlaceholders(template: TemplateJson, value: unknown): string {
  if (typeof value === "string") return value;
  if (value === null || typeof value !== "object") throw new Error(`cannot resolve ${JSON.stringify(value)}`);
  const v = value as Record<string, unknown>;
  if (typeof v.Ref === "string") {
    const pseudo: Record<string, string> = {
      "AWS::Partition": PLACEHOLDER_ENV.partition,
      "AWS::Region": PLACEHOLDER_ENV.region,
      "AWS::AccountId": PLACEHOLDER_ENV.account,
      "AWS::URLSuffix": PLACEHOLDER_ENV.urlSuffix,
    };
    const ref = v.Ref;
    if (ref in pseudo) return pseudo[ref] ?? "";
    // Ref of a state machine is its ARN; of most else, its name: the logical id stands in.
    return template.Resources?.[ref]?.Type === "AWS::StepFunctions::StateMachine"
      ? placeholderArn(template, ref)
      : ref;
  }
  const getAtt = v["Fn::GetAtt"];
  if (Array.isArray(getAtt)) {
    const [id, attr] = getAtt as [unknown, unknown];
    if (typeof id !== "string" || attr !== "Arn")
      throw new Error(`unsupported Fn::GetAtt ${JSON.stringify(getAtt)}`);
    return placeholderArn(template, id);
  }
  const join = v["Fn::Join"];
  if (Array.isArray(join)) {
    const [sep, parts] = join as [unknown, unknown];
    if (typeof sep !== "string" || !Array.isArray(parts)) throw new Error("malformed Fn::Join");
    return parts.map((p) => resolvePlaceholders(template, p)).join(sep);
  }
  throw new Error(`unsupported intrinsic ${Object.keys(v).join(", ")}`);
}

/**
 * The ASL definition of the template's state machine (the only one, or `logicalId`), with every
 * reference replaced by a placeholder: see `PLACEHOLDER_ENV` and `placeholderArn`.
 */
export function stateMachineDefinitionOf(
  template: TemplateJson,
  logicalId?: string,
): Record<string, unknown> {
  const machines = Object.entries(template.Resources ?? {}).filter(
    ([id, r]) =>
      r.Type === "AWS::StepFunctions::StateMachine" && (logicalId === undefined || id === logicalId),
  );
  const [entry, ...others] = machines;
  if (!entry || others.length > 0) {
    throw new Error(
      `expected one state machine${logicalId ? ` ${logicalId}` : ""}, found ${machines.length}`,
    );
  }
  const definition = entry[1].Properties?.DefinitionString;
  return JSON.parse(resolvePlaceholders(template, definition)) as Record<string, unknown>;
}
