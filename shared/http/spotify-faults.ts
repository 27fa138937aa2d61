import type { SpotifyFault } from "../spotify/types.ts";
import { HttpError, tooManyRequests, unavailable } from "./errors.ts";

/** How a Spotify fault reads over HTTP, the same on every route that talks to Spotify. */
export function spotifyFaultToHttp(fault: SpotifyFault): HttpError {
  switch (fault.type) {
    case "not_linked":
    case "revoked":
      return new HttpError(
        409,
        fault.type === "revoked" ? "spotify_revoked" : "spotify_not_linked",
        `${fault.message}; link Spotify again at /spotify/authorize`,
      );
    case "rate_limited":
      return tooManyRequests(
        `Spotify is rate limiting this app; try again in ${fault.retryAfterSeconds} s`,
        fault.retryAfterSeconds,
      );
    case "unavailable":
      return unavailable(`Spotify did not answer: ${fault.message}`, "spotify_unavailable");
  }
}
