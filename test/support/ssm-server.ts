/**
 * An SSM Parameter Store stand-in over HTTP (the AWS JSON 1.1 protocol the SDK speaks: POST /,
 * `X-Amz-Target: AmazonSSM.<Operation>`): GetParametersByPath, GetParameter(s), PutParameter.
 * Point a client at it with `endpoint` or AWS_ENDPOINT_URL_SSM. Every call is recorded with
 * the access key id that signed it, so a test can tell which caller did what.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface SsmCall {
  action: string;
  accessKeyId: string | undefined;
  name: string | undefined;
}

interface Parameter {
  Name: string;
  Value: string;
  Type: string;
  Version: number;
}

export interface SsmServer {
  url: string;
  parameters: Map<string, Parameter>;
  calls: SsmCall[];
  stop(): Promise<void>;
}

const PAGE = 10;

function reply(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/x-amz-json-1.1",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

function failure(res: ServerResponse, type: string, message: string): void {
  reply(res, 400, { __type: type, message });
}

export async function startSsmServer(): Promise<SsmServer> {
  const parameters = new Map<string, Parameter>();
  const calls: SsmCall[] = [];
  const view = (p: Parameter, decrypt: boolean) => ({
    ...p,
    // Like SSM: a SecureString without decryption comes back as (opaque) ciphertext.
    Value: p.Type === "SecureString" && !decrypt ? Buffer.from(p.Value).toString("base64") : p.Value,
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Record<string, unknown>;
    const action = String(req.headers["x-amz-target"] ?? "").replace(/^AmazonSSM\./, "");
    const accessKeyId = /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ""))?.[1];
    const name =
      typeof body.Name === "string" ? body.Name : typeof body.Path === "string" ? body.Path : undefined;
    calls.push({ action, accessKeyId, name });
    switch (action) {
      case "GetParametersByPath": {
        const prefix = String(body.Path).replace(/\/?$/, "/");
        const all = [...parameters.values()]
          .filter(
            (p) =>
              p.Name.startsWith(prefix) && (body.Recursive || !p.Name.slice(prefix.length).includes("/")),
          )
          .sort((a, b) => a.Name.localeCompare(b.Name));
        const start = Number(body.NextToken ?? 0);
        const page = all.slice(start, start + PAGE).map((p) => view(p, body.WithDecryption === true));
        const next = start + PAGE < all.length ? String(start + PAGE) : undefined;
        return reply(res, 200, { Parameters: page, ...(next ? { NextToken: next } : {}) });
      }
      case "GetParameter": {
        const p = parameters.get(String(body.Name));
        if (!p) return failure(res, "ParameterNotFound", `${String(body.Name)} not found`);
        return reply(res, 200, { Parameter: view(p, body.WithDecryption === true) });
      }
      case "GetParameters": {
        const names = (body.Names as string[] | undefined) ?? [];
        const found = names.flatMap((n) => {
          const p = parameters.get(n);
          return p ? [view(p, body.WithDecryption === true)] : [];
        });
        return reply(res, 200, {
          Parameters: found,
          InvalidParameters: names.filter((n) => !parameters.has(n)),
        });
      }
      case "PutParameter": {
        const key = String(body.Name);
        const had = parameters.get(key);
        if (had && body.Overwrite !== true) {
          return failure(res, "ParameterAlreadyExists", `The parameter ${key} already exists.`);
        }
        const Version = (had?.Version ?? 0) + 1;
        parameters.set(key, {
          Name: key,
          Value: String(body.Value),
          Type: String(body.Type ?? "String"),
          Version,
        });
        return reply(res, 200, { Version, Tier: "Standard" });
      }
      default:
        return failure(res, "InvalidAction", `${action} is not supported by the SSM stand-in`);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => failure(res, "InternalServerError", (err as Error).message));
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    parameters,
    calls,
    stop: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
