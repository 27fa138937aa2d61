/**
 * Reads a function's IAM grants out of the synthesized template (its role's inline policies
 * and managed policies) and decides whether an action on a resource is allowed: the IAM
 * contract check of the deployed-shape tier.
 */
import { PLACEHOLDER_ENV, placeholderArn } from "#infra/cdk/playback-loop.ts";
import type { TemplateJson } from "./deployed.ts";

type Json = Record<string, unknown>;

export interface Grant {
  actions: string[];
  resources: string[];
}

const { partition, region, account } = PLACEHOLDER_ENV;

export function arnOf(service: "dynamodb" | "ssm" | "states", resource: string): string {
  return `arn:${partition}:${service}:${region}:${account}:${resource}`;
}

/** Intrinsics in a policy: pseudo parameters, the table's ARN (by its real name here). */
function resolverFor(template: TemplateJson, tableName: string) {
  const resolve = (value: unknown): string => {
    if (typeof value === "string") return value;
    const v = value as Json;
    if (typeof v.Ref === "string") {
      const pseudo: Record<string, string> = {
        "AWS::Partition": partition,
        "AWS::Region": region,
        "AWS::AccountId": account,
        "AWS::URLSuffix": PLACEHOLDER_ENV.urlSuffix,
      };
      if (v.Ref in pseudo) return pseudo[v.Ref] ?? "";
      // Ref of a state machine is its ARN (the one the functions get in STATE_MACHINE_ARN).
      if (template.Resources[v.Ref]?.Type === "AWS::StepFunctions::StateMachine") {
        return placeholderArn(template, v.Ref);
      }
      return v.Ref;
    }
    const att = v["Fn::GetAtt"] as [string, string] | undefined;
    if (att) {
      const type = template.Resources[att[0]]?.Type;
      if (type === "AWS::DynamoDB::Table" && att[1] === "Arn") return arnOf("dynamodb", `table/${tableName}`);
      // A function's ARN as the state machine's definition names it.
      if (type === "AWS::Lambda::Function" && att[1] === "Arn") return placeholderArn(template, att[0]);
      return `${att[0]}.${att[1]}`;
    }
    const join = v["Fn::Join"] as [string, unknown[]] | undefined;
    if (join) return join[1].map(resolve).join(join[0]);
    return JSON.stringify(value);
  };
  return resolve;
}

/** The grants of a function's role, or of a state machine's (`principalId`: its logical id). */
export function grantsOf(template: TemplateJson, principalId: string, tableName: string): Grant[] {
  const resolve = resolverFor(template, tableName);
  const principal = template.Resources[principalId]?.Properties;
  const roleRef = (principal?.Role ?? principal?.RoleArn) as Json | undefined;
  const roleId = (roleRef?.["Fn::GetAtt"] as string[] | undefined)?.[0];
  const role = roleId ? template.Resources[roleId] : undefined;
  const managed = ((role?.Properties?.ManagedPolicyArns as Json[] | undefined) ?? []).map((m) => m.Ref);
  const documents: Json[] = [];
  for (const [id, r] of Object.entries(template.Resources)) {
    const roles = (r.Properties?.Roles as Json[] | undefined) ?? [];
    if (r.Type === "AWS::IAM::Policy" && roles.some((x) => x.Ref === roleId)) {
      documents.push(r.Properties?.PolicyDocument as Json);
    }
    if (r.Type === "AWS::IAM::ManagedPolicy" && managed.includes(id)) {
      documents.push(r.Properties?.PolicyDocument as Json);
    }
  }
  return documents.flatMap((d) =>
    ((d.Statement as Json[] | undefined) ?? [])
      .filter((s) => s.Effect === "Allow")
      .map((s) => ({
        actions: [s.Action].flat() as string[],
        resources: [s.Resource].flat().map(resolve),
      })),
  );
}

const glob = (pattern: string) =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`, "i");

export function allowed(grants: Grant[], action: string, resourceArn: string): boolean {
  return grants.some(
    (g) => g.actions.some((a) => glob(a).test(action)) && g.resources.some((r) => glob(r).test(resourceArn)),
  );
}
