import type { IntegrationError } from "../lyrics/faults.ts";
import { HttpError, tooManyRequests, unavailable } from "./errors.ts";

/** How a fault of LRCLIB, Genius or Hugging Face reads over HTTP, the same on every route. */
export function integrationFaultError(err: IntegrationError): HttpError {
  const f = err.fault;
  switch (f.type) {
    case "not_configured":
      return unavailable(err.message, "not_configured");
    case "rate_limited":
      return tooManyRequests(err.message, f.retryAfterSeconds);
    case "loading":
      return new HttpError(503, "model_loading", err.message, {
        headers: { "Retry-After": String(Math.max(1, f.estimatedSeconds)) },
      });
    case "unavailable":
      return unavailable(err.message, `${err.service}_unavailable`);
  }
}
