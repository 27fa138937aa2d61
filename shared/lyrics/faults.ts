import type { Config } from "../config.ts";
import { logger } from "../logger.ts";
import { type Answer, ExchangeError, type ExchangeOptions, exchange } from "../net/exchange.ts";
import { VERSION } from "../version.ts";

/**
 * The optional integrations (LRCLIB, Genius, Hugging Face) and what can go wrong with them.
 * Their clients throw IntegrationError; the HTTP layer maps it in one place
 * (shared/http/errors.ts) and the background analysis decides per fault whether
 * to stop the run (rate limited, not configured) or skip a track (unavailable).
 */

export type Service = "lrclib" | "genius" | "huggingface";

export const SERVICE_LABEL: Record<Service, string> = {
  lrclib: "LRCLIB",
  genius: "Genius",
  huggingface: "Hugging Face",
};

/** The setting each service needs before anything works (LRCLIB needs none). */
export const SERVICE_SETTING = { genius: "GENIUS_ACCESS_TOKEN", huggingface: "HF_TOKEN" } as const;

export type IntegrationFault =
  | { type: "not_configured"; setting: string }
  | { type: "rate_limited"; retryAfterSeconds: number }
  /** Hugging Face is loading the model: ask again after about `estimatedSeconds`. */
  | { type: "loading"; estimatedSeconds: number }
  | { type: "unavailable"; message: string; status: number | null };

export class IntegrationError extends Error {
  readonly service: Service;
  readonly fault: IntegrationFault;
  constructor(service: Service, fault: IntegrationFault) {
    const what =
      fault.type === "not_configured"
        ? `is not configured: set ${fault.setting}`
        : fault.type === "rate_limited"
          ? `is rate limiting; retry in ${fault.retryAfterSeconds} s`
          : fault.type === "loading"
            ? `is loading the model; retry in about ${fault.estimatedSeconds} s`
            : `could not be reached: ${fault.message}`;
    super(`${SERVICE_LABEL[service]} ${what}`);
    this.name = "IntegrationError";
    this.service = service;
    this.fault = fault;
  }
}

/** Sent to every integration: LRCLIB asks clients to name themselves. */
export const USER_AGENT = `hoardify/${VERSION} (self-hosted listening history; https://github.com/hoardify/hoardify)`;

export interface IntegrationHttpOptions {
  fetch?: typeof fetch;
  timeoutMs?: number;
  retries?: number;
  nowMs?: () => number;
}

/** A GET/POST through the shared exchange, its failures as this service's IntegrationError. */
export function integrationSender(
  service: Service,
  opts: IntegrationHttpOptions,
  extra: Partial<ExchangeOptions> = {},
) {
  const base: ExchangeOptions = {
    timeoutMs: opts.timeoutMs ?? 8000,
    retries: opts.retries ?? 1,
    backoffBudgetMs: 1000,
    nowMs: opts.nowMs ?? Date.now,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    ...extra,
  };
  return async (
    url: string,
    init: { method: string; headers: Record<string, string>; body?: string },
  ): Promise<Answer> => {
    try {
      return await exchange(url, { ...init, headers: { "user-agent": USER_AGENT, ...init.headers } }, base);
    } catch (err) {
      if (!(err instanceof ExchangeError)) throw err;
      const f = err.failure;
      logger.warn("integration request failed", { service, fault: f.type, path: err.path });
      throw new IntegrationError(
        service,
        f.type === "rate_limited"
          ? { type: "rate_limited", retryAfterSeconds: f.retryAfterSeconds }
          : { type: "unavailable", message: err.message, status: f.status },
      );
    }
  };
}

/** An answer the service should not have given (unexpected status or payload). */
export function unexpectedAnswer(
  service: Service,
  path: string,
  status: number,
  detail = "",
): IntegrationError {
  return new IntegrationError(service, {
    type: "unavailable",
    message: `${path} answered HTTP ${status}${detail ? `: ${detail}` : ""}`,
    status,
  });
}

export function requireSetting(
  service: "genius" | "huggingface",
  config: Partial<Pick<Config, "GENIUS_ACCESS_TOKEN" | "HF_TOKEN">>,
): string {
  const setting = SERVICE_SETTING[service];
  const value = config[setting];
  if (!value) throw new IntegrationError(service, { type: "not_configured", setting });
  return value;
}
