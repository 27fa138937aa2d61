import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createClient } from "redis";

/**
 * A test-only HTTP server speaking the part of the Upstash Redis REST protocol that the
 * cache (shared/cache/upstash.ts) and the @upstash/redis client (1.39) use, in front of a
 * real redis-server:
 *
 * - every request is `POST` with `Authorization: Bearer <token>` (else 401 `{"error":"Unauthorized"}`);
 * - `POST /` with a JSON command array `["set","k","v","px",1000]` → `{"result": ...}`,
 *   or HTTP 400 `{"error":"ERR ..."}` when Redis answers with an error;
 * - `POST /pipeline` with an array of command arrays → 200 and one `{"result"}` or
 *   `{"error"}` per command;
 * - `POST /multi-exec` → the same, run as MULTI … EXEC (400 when Redis aborts the
 *   transaction, e.g. EXECABORT after a syntax error).
 *
 * Arguments may be JSON strings, numbers or booleans (the client sends numbers and
 * booleans unquoted); they are passed to Redis as their string form.
 *
 * Response encoding: the @upstash/redis client sends `Upstash-Encoding: base64` on every
 * request unless it was built with `responseEncoding: false`, and then base64-decodes
 * (as UTF-8) every string in `result` except a top-level `"OK"`; `error` is never decoded.
 * `encodeResult` below is the exact mirror of that `decode()` (pkg/http.ts): a top-level
 * string is encoded unless it is "OK", strings directly inside an array are always
 * encoded, deeper arrays follow the top-level rule again. Without the header, results
 * are plain JSON.
 *
 * Not implemented (the client never sends them for what we use): the GET/URL-path form
 * (`/set/foo/bar`), `_token` query auth, the `upstash-sync-token` read-your-writes
 * header (the client tolerates its absence), SSE streaming, and blocking or
 * connection-state commands (refused, since one Redis connection is shared).
 */

type Json = string | number | null | Json[];
type Reply = string | number | null | Error | Reply[];

const REFUSED = new Set([
  "multi",
  "exec",
  "discard",
  "watch",
  "unwatch",
  "select",
  "subscribe",
  "psubscribe",
  "ssubscribe",
  "monitor",
  "quit",
  "reset",
]);

class BadRequest extends Error {}

function b64(s: string): string {
  return Buffer.from(s, "utf8").toString("base64");
}

/** RESP2 reply from node-redis → JSON; nested error replies (possible in EXEC) become their message. */
function toJson(reply: Reply): Json {
  if (reply instanceof Error) return reply.message;
  if (Array.isArray(reply)) return reply.map(toJson);
  return reply;
}

/** The inverse of `decode()` in @upstash/redis's HttpClient; see the file comment. */
function encodeResult(value: Json): Json {
  if (typeof value === "string") return value === "OK" ? value : b64(value);
  if (Array.isArray(value)) {
    return value.map((v) => (typeof v === "string" ? b64(v) : Array.isArray(v) ? v.map(encodeResult) : v));
  }
  return value;
}

function toCommand(raw: unknown): string[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new BadRequest("ERR command must be a non-empty array");
  const args = raw.map((a: unknown) => {
    if (typeof a === "string") return a;
    if (typeof a === "number" || typeof a === "boolean") return String(a);
    throw new BadRequest("ERR command arguments must be strings, numbers or booleans");
  });
  const name = (args[0] ?? "").toLowerCase();
  if (REFUSED.has(name)) throw new BadRequest(`ERR command '${name}' is not supported over REST`);
  return args;
}

function toCommands(raw: unknown): string[][] {
  if (!Array.isArray(raw) || raw.length === 0)
    throw new BadRequest("ERR expected a non-empty array of commands");
  return raw.map(toCommand);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export async function startUpstashServer(opts: { redisPort: number; token: string }): Promise<{
  url: string;
  /** Every command served, in order, as its arguments (`["GET", "key"]`), pipelines included. */
  commands: string[][];
  stop(): Promise<void>;
}> {
  const commands: string[][] = [];
  const redis = createClient({ socket: { host: "127.0.0.1", port: opts.redisPort }, RESP: 2 });
  // Without a listener a lost connection (e.g. redis-server stopped first at teardown) would crash the process.
  redis.on("error", () => {});
  await redis.connect();

  const run = (args: string[]): Promise<Reply> => {
    commands.push(args);
    return redis.sendCommand<Reply>(args);
  };

  const outcome = (r: PromiseSettledResult<Reply>, base64: boolean): { result: Json } | { error: string } => {
    if (r.status === "rejected")
      return { error: r.reason instanceof Error ? r.reason.message : String(r.reason) };
    if (r.value instanceof Error) return { error: r.value.message };
    const json = toJson(r.value);
    return { result: base64 ? encodeResult(json) : json };
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.headers.authorization !== `Bearer ${opts.token}`)
      return send(res, 401, { error: "Unauthorized" });
    if (req.method !== "POST") return send(res, 405, { error: "ERR only POST is supported" });
    const path = (req.url ?? "/").split("?")[0];
    const base64 = req.headers["upstash-encoding"] === "base64";
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      return send(res, 400, { error: "ERR failed to parse request body as JSON" });
    }

    if (path === "/") {
      const args = toCommand(body);
      const [settled] = await Promise.allSettled([run(args)]);
      const out = settled ? outcome(settled, base64) : { error: "ERR no reply" };
      return send(res, "error" in out ? 400 : 200, out);
    }

    if (path === "/pipeline") {
      // node-redis writes commands in call order on one connection, so they run in order.
      const settled = await Promise.allSettled(toCommands(body).map(run));
      return send(
        res,
        200,
        settled.map((r) => outcome(r, base64)),
      );
    }

    if (path === "/multi-exec") {
      const commands = toCommands(body);
      // All of MULTI, the commands and EXEC are queued in one synchronous burst, so no
      // other request's command can land inside the transaction on the shared connection.
      const settled = await Promise.allSettled([run(["MULTI"]), ...commands.map(run), run(["EXEC"])]);
      const exec = settled.at(-1);
      if (exec?.status === "rejected") {
        return send(res, 400, {
          error: exec.reason instanceof Error ? exec.reason.message : String(exec.reason),
        });
      }
      const replies = exec?.value;
      if (!Array.isArray(replies)) return send(res, 400, { error: "ERR transaction aborted" });
      return send(
        res,
        200,
        replies.map((v) => outcome({ status: "fulfilled", value: v }, base64)),
      );
    }

    return send(res, 404, { error: `ERR unknown path ${path}` });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (res.headersSent) return res.destroy();
      if (err instanceof BadRequest) return send(res, 400, { error: err.message });
      send(res, 500, { error: `ERR ${err instanceof Error ? err.message : String(err)}` });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    commands,
    async stop() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      redis.destroy();
    },
  };
}
