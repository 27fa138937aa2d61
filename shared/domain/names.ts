import { createHash } from "node:crypto";

/**
 * Keys for items known only by their names. Spotify's exports name artists and albums without
 * ids (and the older account export names tracks without ids too), yet statistics count per
 * item: such an item is keyed by a stable synthetic id derived from its normalised names, the
 * same whichever file, chunk or run it comes from, so counting never depends on import order.
 * Synthetic ids start with `name:`; the metadata sync never asks Spotify about them.
 */

export const SYNTHETIC_PREFIX = "name:";

/** Case, width, Unicode form and spacing do not make two names different. */
export const normName = (s: string) => s.normalize("NFKC").trim().replace(/\s+/g, " ").toLowerCase();

const synthetic = (parts: readonly string[]) =>
  `${SYNTHETIC_PREFIX}${createHash("sha256").update(parts.map(normName).join("\u0000")).digest("base64url").slice(0, 22)}`;

/** A track known by artist and title (the key older imports already stored: kept as it was). */
export const syntheticTrackId = (artist: string, title: string) => synthetic([artist, title]);

/** An artist known by name. */
export const syntheticArtistId = (name: string) => synthetic(["artist", name]);

/** An album known by its artist and title (two artists' albums called "Greatest Hits" stay two). */
export const syntheticAlbumId = (artist: string, album: string) => synthetic(["album", artist, album]);

/** The key two listens of one item share whatever their ids: normalised artist and title. */
export function nameKey(artist: string | null | undefined, title: string | null | undefined): string | null {
  const a = normName(artist ?? "");
  const t = normName(title ?? "");
  return a === "" && t === "" ? null : `${a}\u0000${t}`;
}

export const isSyntheticId = (id: string) => id.startsWith(SYNTHETIC_PREFIX);

/**
 * Spotify's stand-ins for an item it could not name (the older account export writes them;
 * the Extended one leaves the fields null). Such a row names no item.
 */
const PLACEHOLDERS = new Set(["unknown artist", "unknown track"]);
export const isPlaceholderName = (name: string | null | undefined) =>
  name === null || name === undefined || normName(name) === "" || PLACEHOLDERS.has(normName(name));
