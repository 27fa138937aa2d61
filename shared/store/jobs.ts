import { PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { JobRun } from "../domain/entities.ts";
import { doc, get, type StoreContext } from "./context.ts";
import type { Store } from "./port.ts";
import { TTL_ATTRIBUTE } from "./table.ts";

/** A listener's job runs (kept 30 days by TTL) and named cursors (checkpoints). */
export function jobStore(
  ctx: StoreContext,
): Pick<Store, "recordJobRun" | "listJobRuns" | "getCursor" | "setCursor"> {
  const { client, TableName, keys } = ctx;
  return {
    async recordJobRun(run: JobRun, keepDays = 30) {
      const expires = Math.floor(Date.parse(run.finished_at) / 1000) + keepDays * 86_400;
      await client.send(
        new PutCommand({
          TableName,
          Item: { ...keys.jobRun(run.job, run.started_at), entity: "job", ...run, [TTL_ATTRIBUTE]: expires },
        }),
      );
    },
    async listJobRuns(job, limit) {
      const out = await client.send(
        new QueryCommand({
          TableName,
          KeyConditionExpression: "pk = :p",
          ExpressionAttributeValues: { ":p": keys.jobRuns(job) },
          ScanIndexForward: false,
          Limit: limit,
        }),
      );
      return (out.Items ?? []).map((i) => doc<JobRun>(i));
    },

    async getCursor(name) {
      const item = await get<{ value: string }>(ctx, keys.cursor(name), true);
      return item?.value ?? null;
    },
    async setCursor(name, value) {
      await client.send(
        new PutCommand({ TableName, Item: { ...keys.cursor(name), entity: "cursor", value } }),
      );
    },
  };
}
