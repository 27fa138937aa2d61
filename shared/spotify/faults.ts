import { type Config, missingSpotifyConfig } from "../config.ts";
import { ConflictError, NotConfiguredError, RateLimitedError, ServiceUnavailableError } from "../errors.ts";
import type { SpotifyFault } from "./types.ts";

/**
 * A Spotify fault as the domain error every route that talks to Spotify throws (the HTTP
 * status of each is shared/http/errors.ts's business).
 */
export function spotifyFaultError(config: Config, fault: SpotifyFault): Error {
  switch (fault.type) {
    case "not_linked": {
      const missing = missingSpotifyConfig(config);
      if (missing.length > 0) {
        return new NotConfiguredError(`Spotify is not configured: set ${missing.join(", ")}`, missing);
      }
      return new ConflictError(
        "Spotify is not linked yet: link it at /spotify/authorize",
        "spotify_not_linked",
      );
    }
    case "revoked":
      return new ConflictError(
        `Spotify access was revoked: link it again at /spotify/authorize (${fault.message})`,
        "spotify_revoked",
      );
    case "rate_limited":
      return new RateLimitedError(
        `Spotify is rate limiting this app; try again in ${fault.retryAfterSeconds} s`,
        fault.retryAfterSeconds,
      );
    case "unavailable":
      return new ServiceUnavailableError("spotify", `Spotify could not be reached: ${fault.message}`);
  }
}
