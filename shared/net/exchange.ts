import { setTimeout as sleep } from "node:timers/promises";

/**
 * One HTTP exchange with a third-party API, the way every client here needs it: a timeout per
 * attempt that covers the body too (a stalled body is as dead as a stalled head), bounded
 * jittered retries for the transient failures (5xx, timeout, network), and a 429 handed back
 * at once with its Retry-After, never slept on: a 429 can ask for hours, and a Lambda billed
 * by the millisecond must hand that wait to the scheduler. Spotify (shared/spotify/client.ts),
 * LRCLIB, Genius and Hugging Face (shared/lyrics/) all go through it; each maps the outcome
 * to its own faults.
 */

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

export type ExchangeFailure =
  /** 429: `answer` is there to read the body (a reason, an estimated time). */
  | { type: "rate_limited"; retryAfterSeconds: number; answer: Answer }
  /** Every attempt ended in a 5xx, a timeout or a network error. */
  | { type: "unavailable"; message: string; status: number | null; attempts: number };

export class ExchangeError extends Error {
  readonly failure: ExchangeFailure;
  readonly path: string;
  constructor(failure: ExchangeFailure, path: string) {
    super(
      failure.type === "rate_limited"
        ? `${path}: rate limited for ${failure.retryAfterSeconds} s`
        : `${path}: ${failure.message} after ${failure.attempts} attempt${failure.attempts === 1 ? "" : "s"}`,
    );
    this.name = "ExchangeError";
    this.failure = failure;
    this.path = path;
  }
}

export interface ExchangeOptions {
  fetch?: typeof fetch;
  /** Per attempt, body included. */
  timeoutMs: number;
  /** Extra attempts after a 5xx, a timeout or a network error. */
  retries: number;
  /** Total sleep across retries of one request. */
  backoffBudgetMs: number;
  /** Epoch ms now (to read an HTTP-date Retry-After). */
  nowMs: () => number;
  /** Retry-After when a 429 does not say. */
  defaultRetryAfterSeconds?: number;
  /** 5xx statuses that carry an answer to read rather than a fault to retry (Hugging Face's 503 "loading"). */
  answerStatuses?: readonly number[];
}

export function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Retry-After is seconds (possibly hours for a quota); an HTTP date is allowed by RFC 9110. */
export function retryAfterSeconds(header: string | null, nowMs: number, fallback = 30): number {
  if (header === null || header.trim() === "") return fallback;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return fallback;
  return Math.max(0, Math.ceil((date - nowMs) / 1000));
}

export async function exchange(
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
  opts: ExchangeOptions,
): Promise<Answer> {
  const fetchImpl = opts.fetch ?? fetch;
  const retries = Math.max(0, opts.retries);
  const path = new URL(url).pathname;
  let problem = { message: "no attempt made", status: null as number | null };
  let slept = 0;
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) {
      const base = 100 * 2 ** (attempt - 1);
      const delay = Math.min(opts.backoffBudgetMs - slept, Math.round(base / 2 + (Math.random() * base) / 2));
      if (delay > 0) await sleep(delay);
      slept += Math.max(0, delay);
    }
    let answer: Answer;
    try {
      const res = await fetchImpl(url, { ...init, signal: AbortSignal.timeout(opts.timeoutMs) });
      answer = { status: res.status, headers: res.headers, text: await res.text() };
    } catch (err) {
      const e = err as Error;
      problem = {
        message:
          e.name === "TimeoutError" || e.name === "AbortError"
            ? `no answer within ${opts.timeoutMs} ms`
            : `network error (${e.message})`,
        status: null,
      };
      continue;
    }
    if (answer.status === 429) {
      const seconds = retryAfterSeconds(
        answer.headers.get("retry-after"),
        opts.nowMs(),
        opts.defaultRetryAfterSeconds,
      );
      throw new ExchangeError({ type: "rate_limited", retryAfterSeconds: seconds, answer }, path);
    }
    if (answer.status >= 500 && !opts.answerStatuses?.includes(answer.status)) {
      problem = { message: `HTTP ${answer.status}`, status: answer.status };
      continue;
    }
    return answer;
  }
  throw new ExchangeError(
    { type: "unavailable", message: problem.message, status: problem.status, attempts: retries + 1 },
    path,
  );
}
