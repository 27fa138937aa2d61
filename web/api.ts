import type { ApiErrorBody } from "./types.ts";

/**
 * The dashboard's client of this API: same origin, the session cookie (httpOnly: script never
 * sees a token), and every error turned into words from the API's `{error, message}` body.
 */

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: ApiErrorBody["fields"];
  constructor(status: number, body: ApiErrorBody) {
    super(body.message);
    this.name = "ApiError";
    this.status = status;
    this.code = body.error;
    this.fields = body.fields;
  }
  /** The message with the fields it names: "from: must be a date". */
  describe(): string {
    const fields = (this.fields ?? []).map(
      (f) => `${f.field.replace(/^(query|body|path)\./, "")}: ${f.message}`,
    );
    return fields.length > 0 ? `${this.message} (${fields.join("; ")})` : this.message;
  }
}

type Query = Record<string, string | number | boolean | null | undefined>;

/** Listeners for "the session is gone" (a 401): the app shows the sign-in page. */
const signedOutListeners = new Set<() => void>();
export const onSignedOut = (fn: () => void) => {
  signedOutListeners.add(fn);
  return () => signedOutListeners.delete(fn);
};

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && v !== null && v !== "") params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

async function request<T>(method: string, path: string, init: RequestInit = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: "same-origin",
      ...init,
      headers: { accept: "application/json", ...init.headers },
    });
  } catch (err) {
    throw new ApiError(0, {
      error: "network",
      message: `The server could not be reached (${(err as Error).message}).`,
    });
  }
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok) {
    const known = body && typeof body === "object" && "message" in body;
    const error = new ApiError(
      res.status,
      known ? (body as ApiErrorBody) : { error: "http_error", message: `The server answered ${res.status}.` },
    );
    if (res.status === 401) for (const fn of signedOutListeners) fn();
    throw error;
  }
  return body as T;
}

export const api = {
  get: <T>(path: string, query?: Query) => request<T>("GET", withQuery(path, query)),
  delete: <T>(path: string, query?: Query) => request<T>("DELETE", withQuery(path, query)),
  post: <T>(path: string, body?: unknown) =>
    request<T>("POST", path, {
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
    }),
  patch: <T>(path: string, body: unknown) =>
    request<T>("PATCH", path, {
      body: JSON.stringify(body),
      headers: { "content-type": "application/json" },
    }),
  /** An OAuth2-style form (POST /login takes the form of POST /token). */
  form: <T>(path: string, fields: Record<string, string>) =>
    request<T>("POST", path, {
      body: new URLSearchParams(fields).toString(),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    }),
};

/** What to show for any error: the API's own words, else the error's message. */
export const errorText = (err: unknown): string =>
  err instanceof ApiError ? err.describe() : err instanceof Error ? err.message : String(err);
