/** `npm run bench:day`: only the simulated day (the slowest part of `npm run bench`). */
import { startDynamoDbLocal } from "#infra/local/processes.ts";
import { simulatedDayBench } from "./simulated-day.ts";

process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
const d = await startDynamoDbLocal();
try {
  await simulatedDayBench(d.endpoint);
} finally {
  await d.stop();
}
