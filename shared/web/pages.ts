/**
 * The dashboard's pages: the one list both the server (which paths under /app/ serve the shell)
 * and the browser's router (which component draws them) read. Plain TypeScript, no zod: the
 * web bundle imports it.
 */

/** Where the pages live: never a path an API route uses (/history and /dashboard are API routes). */
export const APP_PREFIX = "/app/";
/** Where the built, content-hashed files are served. */
export const ASSETS_PREFIX = "/assets/";

export interface WebPageDef {
  readonly title: string;
  /** Shown in the navigation bar (in this order); the rest are reached by links. */
  readonly nav: boolean;
  /** A second path segment: none, optional (`/app/year/2025`), or required (`/app/tracks/<id>`). */
  readonly param: "none" | "optional" | "required";
  /** Only the owner's navigation shows it (the routes behind it are owner-only). */
  readonly ownerOnly?: true;
  /** Reachable without a session. */
  readonly public?: true;
}

export const WEB_PAGES = {
  overview: { title: "Overview", nav: true, param: "none" },
  history: { title: "History", nav: true, param: "none" },
  year: { title: "Year in review", nav: true, param: "optional" },
  cards: { title: "Cards", nav: true, param: "none" },
  data: { title: "Data", nav: true, param: "none" },
  admin: { title: "Admin", nav: true, param: "none", ownerOnly: true },
  tracks: { title: "Track", nav: false, param: "required" },
  artists: { title: "Artist", nav: false, param: "required" },
  signin: { title: "Sign in", nav: false, param: "none", public: true },
} as const satisfies Record<string, WebPageDef>;

export type WebPageId = keyof typeof WEB_PAGES;

export interface PageRef {
  page: WebPageId;
  /** The decoded second segment (a track or artist id, a year), if any. */
  param: string | null;
}

/** A page's second segment: one path segment of reasonable length. */
const PARAM = /^[^/]{1,200}$/;

/**
 * `overview`, `tracks/<id>` (the part after /app/, still URI-encoded as in a URL, or decoded as
 * API Gateway hands a greedy path parameter over) → the page, or null when no page has this path.
 */
export function parsePagePath(rest: string): PageRef | null {
  const slash = rest.indexOf("/");
  const head = slash < 0 ? rest : rest.slice(0, slash);
  const tail = slash < 0 ? null : rest.slice(slash + 1);
  if (!Object.hasOwn(WEB_PAGES, head)) return null;
  const page = head as WebPageId;
  const def: WebPageDef = WEB_PAGES[page];
  if (tail === null || tail === "") return def.param === "required" ? null : { page, param: null };
  if (def.param === "none") return null;
  let param: string;
  try {
    param = decodeURIComponent(tail);
  } catch {
    return null;
  }
  return PARAM.test(tail) ? { page, param } : null;
}

/** The path of a page: `pagePath("tracks", id)` → `/app/tracks/<id>`. */
export function pagePath(page: WebPageId, param?: string | null): string {
  return `${APP_PREFIX}${page}${param ? `/${encodeURIComponent(param)}` : ""}`;
}
