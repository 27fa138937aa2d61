import { type Config, missingSpotifyConfig } from "../config.ts";
import type { SpotifyFault } from "../spotify/types.ts";
import { HttpError, tooManyRequests, unavailable } from "./errors.ts";

/** How a Spotify fault reads over HTTP, the same on every route that talks to Spotify. */
export function spotifyFaultError(config: Config, fault: SpotifyFault): HttpError {
  switch (fault.type) {
    case "not_linked": {
      const missing = missingSpotifyConfig(config);
      if (missing.length > 0) {
        return unavailable(`Spotify is not configured: set ${missing.join(", ")}`, "not_configured");
      }
      return new HttpError(
        409,
        "spotify_not_linked",
        "Spotify is not linked yet: link it at /spotify/authorize",
      );
    }
    case "revoked":
      return new HttpError(
        409,
        "spotify_revoked",
        `Spotify access was revoked: link it again at /spotify/authorize (${fault.message})`,
      );
    case "rate_limited":
      return tooManyRequests(
        `Spotify is rate limiting this app; try again in ${fault.retryAfterSeconds} s`,
        fault.retryAfterSeconds,
      );
    case "unavailable":
      return unavailable(`Spotify could not be reached: ${fault.message}`, "spotify_unavailable");
  }
}
