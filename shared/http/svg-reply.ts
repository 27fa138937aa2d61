import { createHash } from "node:crypto";
import type { HttpReply } from "./middleware.ts";

/**
 * How an SVG card is answered so it works embedded in a GitHub README. GitHub serves README
 * images through its camo proxy, which keeps a copy as long as the headers allow: `no-cache`
 * makes it ask again every time, and the ETag lets that revalidation be a cheap 304 while the
 * card has not changed. The CSP matters when someone opens the SVG URL itself: the document
 * may show inline styles and data: images and nothing else — no script, no fetches.
 */

export const SVG_HEADERS = {
  "Content-Type": "image/svg+xml; charset=utf-8",
  "Cache-Control": "no-cache",
  "Content-Security-Policy": "default-src 'none'; img-src data:; style-src 'unsafe-inline'; sandbox",
} as const;

export function etagOf(body: string): string {
  return `"${createHash("sha256").update(body).digest("base64url").slice(0, 27)}"`;
}

/** RFC 9110 If-None-Match: a list of (possibly weak) tags, or `*`; weak comparison. */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const strip = (t: string) => t.trim().replace(/^W\//, "");
  return header.split(",").some((t) => t.trim() === "*" || strip(t) === etag);
}

export function svgReply(svg: string, requestHeaders: Record<string, string | undefined>): HttpReply {
  const etag = etagOf(svg);
  const headers = { ...SVG_HEADERS, ETag: etag };
  if (matchesIfNoneMatch(requestHeaders["if-none-match"], etag)) return { status: 304, headers, text: "" };
  return { status: 200, headers, text: svg };
}
