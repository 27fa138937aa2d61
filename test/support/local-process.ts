import { type ChildProcess, spawn } from "node:child_process";
import { connect } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** `npm start` as a child process, the way a person runs it in a terminal. */

const main = fileURLToPath(new URL("../../infra/local/main.ts", import.meta.url));

export interface LocalProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves once the "is listening on" line is printed; rejects if it exits first. */
  ready: Promise<void>;
  exited: Promise<number | null>;
}

/**
 * Starts the local runtime with only `env` (and PATH, HOME) set. cwd is the data folder's parent,
 * so no developer .env in the repo leaks in. It runs in its own process group, as a terminal
 * runs a foreground command, so `ctrlC` can signal the whole group the way Ctrl-C does.
 */
export function startLocal(dataDir: string, env: Record<string, string>): LocalProcess {
  const child = spawn(process.execPath, [main], {
    cwd: join(dataDir, ".."),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dataDir, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let out = "";
  const exited = new Promise<number | null>((ok) => child.once("exit", (code) => ok(code)));
  const ready = new Promise<void>((ok, fail) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes("is listening on")) ok();
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    void exited.then((code) => fail(new Error(`exited ${code} before listening:\n${out}`)));
  });
  ready.catch(() => undefined);
  return { child, output: () => out, ready, exited };
}

/** What a terminal's Ctrl-C does: SIGINT to every process of the foreground group. */
export async function ctrlC(p: LocalProcess): Promise<number | null> {
  if (p.child.pid !== undefined && p.child.exitCode === null) process.kill(-p.child.pid, "SIGINT");
  return p.exited;
}

/** The app's own DynamoDB Local port, from its start-up lines. */
export function dynamoPortOf(p: LocalProcess): number {
  return Number(/DynamoDB Local at http:\/\/127\.0\.0\.1:(\d+)/.exec(p.output())?.[1]);
}

/** The pid of the app's DynamoDB Local as it started (a restart changes it). */
export function dynamoPidOf(p: LocalProcess): number {
  return Number(/DynamoDB Local at \S+ \(pid (\d+)\)/.exec(p.output())?.[1]);
}

export const portOpen = (port: number, host = "127.0.0.1") =>
  new Promise<boolean>((ok) => {
    const s = connect(port, host);
    s.once("connect", () => {
      s.destroy();
      ok(true);
    });
    s.once("error", () => ok(false));
  });
