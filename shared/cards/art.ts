import { createHash } from "node:crypto";
import { lookup } from "node:dns/promises";
import { BlockList, isIP } from "node:net";
import type { Cache } from "../cache/port.ts";
import { type Config, SPOTIFY_IMAGE_HOSTS } from "../config.ts";
import { logger } from "../logger.ts";

/**
 * Album art for the cards, embedded as a data URI: an SVG shown through an <img> (GitHub's
 * README proxy included) may not load anything external, so the bytes must be inside it.
 *
 * Each image is fetched once (the URL the player gave: Spotify's smallest size ≥ 64 px, picked
 * when the item was normalised) and kept in the cache for a month under `art:<album id>` (or
 * a hash of the URL when there is no album id). A failure is remembered briefly so a broken
 * URL does not cost every request a timeout. Any failure means "no art": the card draws its
 * placeholder. Only the image URL is fetched here, never the Spotify API.
 *
 * The URL comes from outside (Spotify's JSON, imports), and the public cards embed whatever
 * it returns, so fetching is fenced against SSRF: only allow-listed hosts (Spotify's image
 * CDNs by default, ART_ALLOWED_HOSTS), no redirects (a 3xx is a failed fetch), and no private,
 * loopback or link-local address unless that literal address is allow-listed.
 */

export interface ArtOptions {
  fetch?: typeof fetch;
  /** Host names, or `*.domain` for its subdomains; default Spotify's image hosts. */
  allowedHosts?: readonly string[];
  /** Resolves a host name to its addresses (tests may pin it). */
  resolve?: (host: string) => Promise<string[]>;
  timeoutMs?: number;
  maxBytes?: number;
  ttlMs?: number;
  failureTtlMs?: number;
}

export const ART_DEFAULTS = {
  timeoutMs: 1500,
  maxBytes: 256 * 1024,
  ttlMs: 30 * 86_400_000,
  failureTtlMs: 10 * 60_000,
} as const;

export function artOptionsOf(config: Pick<Config, "ART_ALLOWED_HOSTS">): ArtOptions {
  return { allowedHosts: config.ART_ALLOWED_HOSTS };
}

/** Where a fetched URL must never lead: RFC 1918, loopback, link-local, CGNAT, ULA, multicast… */
const INTERNAL = new BlockList();
for (const [net, bits] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 3],
] as const) {
  INTERNAL.addSubnet(net, bits, "ipv4");
}
for (const [net, bits] of [
  ["::", 127],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const) {
  INTERNAL.addSubnet(net, bits, "ipv6");
}

export function isInternalAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return INTERNAL.check(mapped, "ipv4");
  const family = isIP(address);
  if (family === 0) return true;
  return INTERNAL.check(address, family === 4 ? "ipv4" : "ipv6");
}

export function hostAllowed(host: string, allowed: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return allowed.some((a) =>
    a.startsWith("*.") ? h.endsWith(a.slice(1)) && h.length > a.length - 1 : h === a,
  );
}

const resolveAll = async (host: string) => (await lookup(host, { all: true })).map((a) => a.address);

/** Throws an ArtError unless `url` may be fetched: an allowed host that is not internal. */
async function checkTarget(url: URL, opts: ArtOptions): Promise<void> {
  const allowed = opts.allowedHosts ?? SPOTIFY_IMAGE_HOSTS;
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (!hostAllowed(host, allowed)) throw new ArtError(`host ${host} is not allowed`);
  // An internal address passes only when that literal address is listed (a test's fake), never
  // through a wildcard or a public name that resolves inward.
  if (isIP(host) && allowed.includes(host)) return;
  const addresses = isIP(host) ? [host] : await (opts.resolve ?? resolveAll)(host);
  if (addresses.length === 0 || addresses.some(isInternalAddress)) {
    throw new ArtError(`host ${host} resolves to an internal address`);
  }
}

type Cached = { uri: string } | { failed: string };

export function artCacheKey(ref: { id?: string | null; url?: string | null }): string | null {
  if (ref.id && /^[0-9A-Za-z]{1,64}$/.test(ref.id)) return `art:${ref.id}`;
  if (ref.url) return `art:${createHash("sha256").update(ref.url).digest("base64url").slice(0, 22)}`;
  return null;
}

/** The image type from its first bytes; we never trust (or echo) the server's Content-Type. */
function sniff(bytes: Uint8Array): "png" | "jpeg" | "gif" | "webp" | null {
  const b = (i: number) => bytes[i] ?? -1;
  if (b(0) === 0x89 && b(1) === 0x50 && b(2) === 0x4e && b(3) === 0x47) return "png";
  if (b(0) === 0xff && b(1) === 0xd8 && b(2) === 0xff) return "jpeg";
  if (b(0) === 0x47 && b(1) === 0x49 && b(2) === 0x46 && b(3) === 0x38) return "gif";
  const ascii = (from: number, to: number) => String.fromCharCode(...bytes.subarray(from, to));
  if (bytes.length >= 12 && ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP") return "webp";
  return null;
}

class ArtError extends Error {}

/** Fetches `url` and returns it as a data URI, or throws an ArtError saying why not. */
export async function fetchArt(url: string, opts: ArtOptions = {}): Promise<string> {
  const maxBytes = opts.maxBytes ?? ART_DEFAULTS.maxBytes;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ArtError("not a URL");
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") throw new ArtError("not http(s)");
  await checkTarget(parsed, opts);
  const res = await (opts.fetch ?? fetch)(parsed, {
    signal: AbortSignal.timeout(opts.timeoutMs ?? ART_DEFAULTS.timeoutMs),
    headers: { accept: "image/*" },
    // A redirect could lead anywhere (an internal address included): it is a failed fetch.
    redirect: "manual",
  });
  if (res.status >= 300 && res.status < 400) {
    await res.body?.cancel();
    throw new ArtError(`redirect (${res.status}) not followed`);
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new ArtError(`status ${res.status}`);
  }
  const type = (res.headers.get("content-type") ?? "").trim().toLowerCase();
  if (!type.startsWith("image/")) {
    await res.body?.cancel();
    throw new ArtError(`content type ${type || "missing"}`);
  }
  const declared = Number(res.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel();
    throw new ArtError(`${declared} bytes is over the ${maxBytes} byte cap`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (res.body) {
    for await (const chunk of res.body) {
      size += chunk.byteLength;
      if (size > maxBytes) throw new ArtError(`over the ${maxBytes} byte cap`);
      chunks.push(chunk);
    }
  }
  const bytes = Buffer.concat(chunks);
  const kind = sniff(bytes);
  if (!kind) throw new ArtError("not a PNG, JPEG, GIF or WebP image");
  return `data:image/${kind};base64,${bytes.toString("base64")}`;
}

/** What to draw: a cache id (album id), and the image URL or a way to look it up on a miss. */
export interface ArtRef {
  id?: string | null;
  url: string | null | (() => Promise<string | null>);
}

const keyOfRef = (ref: ArtRef) =>
  artCacheKey({ id: ref.id ?? null, url: typeof ref.url === "string" ? ref.url : null });

/** A cached entry as the data URI, null for a remembered failure, undefined for a miss. */
function fromCached(hit: Cached | null | undefined): string | null | undefined {
  if (hit && "uri" in hit && typeof hit.uri === "string") return hit.uri;
  if (hit && "failed" in hit) return null;
  return undefined;
}

/** A cache miss: look the URL up if need be, fetch it, remember the outcome. Never throws. */
async function fetchAndRemember(
  cache: Cache,
  ref: ArtRef,
  known: string | null,
  opts: ArtOptions,
): Promise<string | null> {
  let url: string | null;
  try {
    url = typeof ref.url === "function" ? await ref.url() : ref.url;
  } catch {
    return null;
  }
  if (!url) return null;
  const key = known ?? artCacheKey({ url });
  let value: Cached;
  try {
    value = { uri: await fetchArt(url, opts) };
  } catch (err) {
    const reason = err instanceof ArtError ? err.message : (err as Error).name || "fetch failed";
    logger.warn("album art unavailable; drawing the placeholder", { reason });
    value = { failed: reason };
  }
  if (key) {
    const ttlMs =
      "uri" in value ? (opts.ttlMs ?? ART_DEFAULTS.ttlMs) : (opts.failureTtlMs ?? ART_DEFAULTS.failureTtlMs);
    await cache.set(key, value, { ttlMs }).catch(() => undefined);
  }
  return "uri" in value ? value.uri : null;
}

/**
 * The art for one album (or show, or artist) as a data URI, from the cache or fetched now;
 * null when there is none or it cannot be had. Never throws. `url` may be a function so a
 * caller pays for looking the URL up (a store read) only on a cache miss.
 */
export async function getArt(cache: Cache, ref: ArtRef, opts: ArtOptions = {}): Promise<string | null> {
  const key = keyOfRef(ref);
  if (key) {
    const hit = fromCached(await cache.get<Cached>(key).catch(() => null));
    if (hit !== undefined) return hit;
  }
  return fetchAndRemember(cache, ref, key, opts);
}

/**
 * The art of several items (a card's rows) in one cache command (MGET), in `refs` order; only
 * the misses are fetched, each as getArt would. Never throws.
 */
export async function getArts(cache: Cache, refs: readonly ArtRef[], opts: ArtOptions = {}) {
  const keys = refs.map(keyOfRef);
  const unique = [...new Set(keys.filter((k): k is string => k !== null))];
  const found = await cache.getMany<Cached>(unique).catch(() => unique.map(() => null));
  const cached = new Map(unique.map((k, i) => [k, fromCached(found[i])]));
  // Two rows of one album fetch it once.
  const fetching = new Map<string, Promise<string | null>>();
  return Promise.all(
    refs.map(async (ref, i): Promise<string | null> => {
      const key = keys[i] ?? null;
      const hit = key ? cached.get(key) : undefined;
      if (hit !== undefined) return hit;
      if (!key) return fetchAndRemember(cache, ref, key, opts);
      const once = fetching.get(key) ?? fetchAndRemember(cache, ref, key, opts);
      fetching.set(key, once);
      return once;
    }),
  );
}

/**
 * The longest art data URI a now-playing snapshot carries: Spotify's covers at the size the
 * player picks (the smallest ≥ 64 px) are 2-10 KB, a 300 px one about 35 KB as base64. Bigger
 * art stays out of the snapshot (every card view reads it whole); the card then reads it from
 * its own cache key as before.
 */
export const SNAPSHOT_ART_MAX_CHARS = 48 * 1024;

/** The last art a poll embedded, per cache (one per Lambda container): a pause needs no fetch. */
const lastSnapshotArt = new WeakMap<Cache, { key: string; uri: string | null | undefined }>();

/**
 * The art a now-playing snapshot carries for its album, fetched when the item changes, so a
 * card view is one cache read: the data URI; null when there is none or it could not be
 * fetched (the card draws its placeholder); undefined when it is too big to embed. Fetched
 * straight from the image host (through the same fence), not through the `art:` cache keys:
 * the snapshot is where it is kept, and two cache commands per new album would cost more
 * than the fetch. Never throws.
 */
export async function artForSnapshot(
  cache: Cache,
  album: { id: string | null; image_url: string | null } | null,
  opts: ArtOptions = {},
): Promise<string | null | undefined> {
  if (!album?.image_url) return null;
  const key = artCacheKey({ id: album.id, url: album.image_url });
  const last = lastSnapshotArt.get(cache);
  if (key && last?.key === key) return last.uri;
  let uri: string | null | undefined;
  try {
    const fetched = await fetchArt(album.image_url, opts);
    uri = fetched.length > SNAPSHOT_ART_MAX_CHARS ? undefined : fetched;
  } catch (err) {
    const reason = err instanceof ArtError ? err.message : (err as Error).name || "fetch failed";
    logger.warn("album art unavailable; the now-playing snapshot carries none", { reason });
    uri = null;
  }
  if (key) lastSnapshotArt.set(cache, { key, uri });
  return uri;
}
