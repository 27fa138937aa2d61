import type { HttpMethod, RouteDef } from "./route.ts";
import { routeList } from "./routes.ts";

type Compiled = { route: RouteDef & { id: string }; regex: RegExp; params: string[] };

const compiled: Compiled[] = routeList.map((route) => {
  const params: string[] = [];
  const pattern = route.path
    .split("/")
    .map((seg) => {
      const m = /^\{(\w+)(\+?)\}$/.exec(seg);
      if (!m?.[1]) return seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      params.push(m[1]);
      // `{page+}`: API Gateway's greedy parameter, the rest of the path (slashes included).
      return m[2] ? "(.+)" : "([^/]+)";
    })
    .join("/");
  return { route, regex: new RegExp(`^${pattern}$`), params };
});

/** A broken escape (`%E0%A4`) stays as sent: the route's path schema then refuses it (a 400, not a URIError). */
function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

export type MatchResult =
  | { kind: "route"; route: RouteDef & { id: string }; pathParameters: Record<string, string> }
  | { kind: "method-not-allowed"; allow: HttpMethod[] }
  | { kind: "none" };

/** Matches a request against the route table, as API Gateway's router would. */
export function matchRoute(method: string, path: string): MatchResult {
  const allow: HttpMethod[] = [];
  for (const c of compiled) {
    const m = c.regex.exec(path);
    if (!m) continue;
    if (c.route.method === method.toUpperCase()) {
      const pathParameters = Object.fromEntries(c.params.map((p, i) => [p, decodeSegment(m[i + 1] ?? "")]));
      return { kind: "route", route: c.route, pathParameters };
    }
    allow.push(c.route.method);
  }
  return allow.length > 0 ? { kind: "method-not-allowed", allow } : { kind: "none" };
}
