import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { type FakeSpotify, startFakeSpotify } from "./fake-spotify.ts";

/**
 * Several Spotify accounts behind one Spotify: one fake Spotify per account (each its own
 * player, history and tokens) and, in front of them, one HTTP server the app is pointed at.
 * Every code and token an account's fake hands out leaves here prefixed with the account's
 * number (`2~AQ…`), and whatever the app sends back with that prefix goes to that account's
 * fake: the app talks to one Spotify, each listener's token reaches their own account, and a
 * token reaching the wrong account would be refused (401) like on Spotify.
 */
export interface SpotifyHousehold {
  accounts: FakeSpotify[];
  accountsUrl: string;
  apiUrl: string;
  /** Whose browser is on Spotify's consent page: /authorize answers for that account. */
  consentAs(account: number): void;
  /** Tokens of one account as the app would get them (prefixed). */
  issueTokens(account: number): { access_token: string; refresh_token: string; expires_in: number };
  stop(): Promise<void>;
}

const SEP = "~";

export async function startSpotifyHousehold(
  n: number,
  opts: { now?: () => number } = {},
): Promise<SpotifyHousehold> {
  const accounts = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      startFakeSpotify({
        ...(opts.now ? { now: opts.now } : {}),
        user: { id: `account-${i}`, display_name: `Account ${i}` },
      }),
    ),
  );
  let consenting = 0;
  const tag = (i: number, token: string) => `${i}${SEP}${token}`;
  const untag = (value: string | null | undefined): { i: number; token: string } | null => {
    const m = /^(\d+)~(.*)$/.exec(value ?? "");
    return m ? { i: Number(m[1]), token: m[2] ?? "" } : null;
  };

  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let body = Buffer.concat(chunks).toString("utf8");
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v === "string" && k !== "host" && k !== "content-length") headers[k] = v;
    }
    let account = consenting;
    const bearer = /^Bearer (.*)$/.exec(headers.authorization ?? "");
    if (bearer) {
      const t = untag(bearer[1]);
      if (t) {
        account = t.i;
        headers.authorization = `Bearer ${t.token}`;
      }
    }
    if (req.method === "POST" && (req.url ?? "").endsWith("/api/token")) {
      const form = new URLSearchParams(body);
      for (const field of ["code", "refresh_token"]) {
        const t = untag(form.get(field));
        if (t) {
          account = t.i;
          form.set(field, t.token);
        }
      }
      body = form.toString();
    }
    const target = accounts[account];
    if (!target) {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { status: 401, message: "Invalid access token" } }));
      return;
    }
    const upstream = await fetch(`${target.origin}${req.url ?? "/"}`, {
      method: req.method ?? "GET",
      headers,
      ...(req.method === "GET" || req.method === "HEAD" ? {} : { body }),
      redirect: "manual",
    });
    const out: Record<string, string> = {};
    upstream.headers.forEach((v, k) => {
      if (k !== "content-length" && k !== "content-encoding" && k !== "transfer-encoding") out[k] = v;
    });
    let text = await upstream.text();
    if (out.location) {
      const loc = new URL(out.location);
      const code = loc.searchParams.get("code");
      if (code) loc.searchParams.set("code", tag(account, code));
      out.location = loc.toString();
    }
    if ((req.url ?? "").endsWith("/api/token") && upstream.status === 200) {
      const t = JSON.parse(text) as { access_token?: string; refresh_token?: string };
      if (t.access_token) t.access_token = tag(account, t.access_token);
      if (t.refresh_token) t.refresh_token = tag(account, t.refresh_token);
      text = JSON.stringify(t);
    }
    res.writeHead(upstream.status, out);
    res.end(text);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const first = accounts[0] as FakeSpotify;
  const rebase = (url: string) => origin + new URL(url).pathname;
  return {
    accounts,
    accountsUrl: rebase(first.accountsUrl),
    apiUrl: rebase(first.apiUrl),
    consentAs(i) {
      consenting = i;
    },
    issueTokens(i) {
      const t = (accounts[i] as FakeSpotify).issueTokens();
      return { ...t, access_token: tag(i, t.access_token), refresh_token: tag(i, t.refresh_token) };
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      await Promise.all(accounts.map((a) => a.stop()));
    },
  };
}
