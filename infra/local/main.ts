/**
 * `npm start`: the whole service in one Node process. DynamoDB Local (persisted under
 * DATA_DIR), an in-memory cache, and the same handlers as on AWS behind a small HTTP server
 * built from the route table. Starts with no configuration at all.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { type Config, ConfigError, loadConfig, spotifyConfigured } from "#shared/config.ts";
import { buildDeps, setDeps } from "#shared/deps.ts";
import { runAsJob } from "#shared/logger.ts";
import { createDocumentClient, ensureTable } from "#shared/store/dynamo.ts";
import { migrateToHousehold } from "#shared/store/migrate.ts";
import { buildWeb } from "../web/build.ts";
import { type LocalLoops, startLocalLoops } from "./loop.ts";
import { type SupervisedProcess, superviseDynamoDbLocal } from "./processes.ts";
import { ensureLocalSecrets } from "./secrets.ts";
import { createLocalServer } from "./server.ts";

const say = (line = "") => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  if (existsSync(".env")) process.loadEnvFile(".env");

  let config: Config;
  try {
    const base = loadConfig(process.env);
    const secrets = await ensureLocalSecrets(resolve(base.DATA_DIR), process.env);
    config = loadConfig({ ...process.env, ...secrets });
    if (secrets.generatedPassword) {
      say("First run: generated an admin login (shown once; only its hash is kept).");
      say(`  username: ${config.ADMIN_USERNAME}`);
      say(`  password: ${secrets.generatedPassword}`);
      say(`  To choose your own, set ADMIN_PASSWORD_HASH (npm run hash-password) or delete ${secrets.file}.`);
      say();
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nSee .env.example for every variable.\n`);
      process.exit(2);
    }
    throw err;
  }

  let dynamo: SupervisedProcess | undefined;
  let endpoint = config.DYNAMODB_ENDPOINT;
  if (!endpoint) {
    dynamo = await superviseDynamoDbLocal({
      dataDir: resolve(config.DATA_DIR, "dynamodb"),
      // Outside the terminal's process group: Ctrl-C reaches only this process, which stops
      // DynamoDB Local last, after the listen in progress is stored.
      detached: true,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    // Should this process die without its shutdown (an uncaught error), take the child along.
    dynamo.killOnExit();
    endpoint = dynamo.endpoint;
  }
  const stopDynamo = async () => dynamo?.stop();
  try {
    config = { ...config, DYNAMODB_ENDPOINT: endpoint };
    const client = createDocumentClient({ region: config.AWS_REGION, endpoint });
    const created = await ensureTable(client, config.TABLE_NAME);
    // A hoard recorded before listeners existed becomes the owner's before anything reads or
    // writes it (one Get once done; shared/store/migrate.ts).
    const migrated = await migrateToHousehold({ client, tableName: config.TABLE_NAME });
    if (!migrated.already && migrated.moved > 0)
      process.stdout.write(`upgrade: ${migrated.moved} items of the existing hoard are the owner's now\n`);
    // The dashboard, built fresh from web/ (well under a second): what `/` serves.
    const webDir = config.WEB_ASSETS_DIR ?? resolve(config.DATA_DIR, "web");
    if (!config.WEB_ASSETS_DIR) await buildWeb(webDir);
    config = { ...config, WEB_ASSETS_DIR: webDir };
    const deps = await buildDeps(config);
    setDeps(deps);

    const server = createLocalServer({ corsOrigins: config.CORS_ORIGINS });
    await new Promise<void>((ok, fail) => {
      server.once("error", fail);
      server.listen(config.PORT, config.HOST, ok);
    });
    const base = `http://${config.HOST.includes(":") ? `[${config.HOST}]` : config.HOST}:${config.PORT}`;

    // The same playback loop as on AWS, once Spotify is configured (it waits for the link). Its
    // lines are logged as the job's, not as whichever request the server handled last.
    const loop: LocalLoops | undefined = spotifyConfigured(config)
      ? await runAsJob("playback-loop", () => startLocalLoops(deps))
      : undefined;

    // The hourly jobs (backfill, metadata sync): the same handler EventBridge runs on AWS,
    // first a minute after start so a fresh link fills in quickly.
    const hourly = async () => {
      const { handler } = await import("#functions/hourly.ts");
      await runAsJob("hourly", handler).catch((err: unknown) =>
        process.stderr.write(`hourly jobs failed: ${(err as Error).message}\n`),
      );
      // The lyrics and mood analysis: its own function on AWS, after the other jobs here.
      const analysis = await import("#functions/analysis.ts");
      await runAsJob("analysis", analysis.handler).catch((err: unknown) =>
        process.stderr.write(`analysis failed: ${(err as Error).message}\n`),
      );
    };
    const hourlyTimers = spotifyConfigured(config)
      ? [setTimeout(() => void hourly(), 60_000), setInterval(() => void hourly(), 3_600_000)]
      : [];

    const lines = [
      `  storage: DynamoDB Local at ${endpoint}${dynamo ? ` (pid ${dynamo.pid()})` : ""}, table ${config.TABLE_NAME} (${created})`,
      `  cache:   ${deps.cache.kind}`,
      `  dashboard:     ${base}/`,
      `  API reference: ${base}/docs`,
      `  playback loop: ${loop ? "on (link Spotify at /spotify/authorize if you have not)" : "off until Spotify is configured"}`,
    ];
    if (!spotifyConfigured(config)) {
      lines.push(
        "",
        "Spotify is not linked yet. Create an app at the Spotify developer dashboard, then set in .env:",
        "  SPOTIFY_CLIENT_ID, SPOTIFY_CLIENT_SECRET,",
        `  SPOTIFY_REDIRECT_URI=http://127.0.0.1:${config.PORT}/spotify/callback (also add it to the app)`,
        "and restart. See .env.example.",
      );
    }
    if (!isLoopback(config.HOST)) {
      lines.push(
        "",
        `HOST=${config.HOST}: the API is reachable from other machines, not just this one.`,
        "  (DynamoDB Local stays on 127.0.0.1 whatever HOST says.)",
      );
    }
    // The "listening" line comes last so whoever waits for it has read everything above.
    say([...lines, "", `hoardify is listening on ${base} (Ctrl-C stops it)`].join("\n"));

    let stopping = false;
    // The order matters: stop taking requests, then store the listen in progress (the loop needs
    // the table), and only then stop DynamoDB Local.
    const shutdown = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      say(`\n${signal}: stopping…`);
      for (const t of hourlyTimers) clearTimeout(t);
      const closed = new Promise<void>((ok) => server.close(() => ok()));
      server.closeIdleConnections();
      if (loop) await runAsJob("playback-loop", () => loop.stop());
      // Requests still running have had the loop's flush to finish; the rest are cut.
      server.closeAllConnections();
      await closed;
      await stopDynamo();
      say("stopped.");
      process.exit(0);
    };
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
      process.on(signal, () => void shutdown(signal));
    }
  } catch (err) {
    await stopDynamo();
    throw err;
  }
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

main().catch((err: unknown) => {
  process.stderr.write(`hoardify failed to start: ${(err as Error).message}\n`);
  process.exit(1);
});
