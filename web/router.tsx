import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { APP_PREFIX, type PageRef, pagePath, parsePagePath, type WebPageId } from "../shared/web/pages.ts";

/**
 * Client-side routing over real URLs (/app/<page>): every page has its own address, so the
 * back button, a reload and a shared link work; the server answers each with the same shell.
 */

export interface Route extends PageRef {
  /** The query string's parameters (filters and ranges live there, so they survive a reload). */
  query: URLSearchParams;
}

/** `/` opens the overview; an unknown path under /app/ is `null` (the app says "no such page"). */
export function routeOf(location: Pick<Location, "pathname" | "search">): Route | null {
  const query = new URLSearchParams(location.search);
  if (location.pathname === "/" || location.pathname === APP_PREFIX.slice(0, -1)) {
    return { page: "overview", param: null, query };
  }
  if (!location.pathname.startsWith(APP_PREFIX)) return null;
  const ref = parsePagePath(location.pathname.slice(APP_PREFIX.length));
  return ref ? { ...ref, query } : null;
}

/** What every page component receives. */
export interface PageProps {
  route: Route;
}

const listeners = new Set<() => void>();
const notify = () => {
  for (const fn of listeners) fn();
};
addEventListener("popstate", notify);

/** Goes to `href` (same origin) without reloading; `replace` keeps it out of the history. */
export function navigate(href: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) history.replaceState(null, "", href);
  else history.pushState(null, "", href);
  notify();
  if (!opts.replace) scrollTo(0, 0);
}

/** Sets query parameters of the current page (null removes one), replacing the history entry. */
export function setQuery(changes: Record<string, string | null>): void {
  const params = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === "") params.delete(k);
    else params.set(k, v);
  }
  const qs = params.toString();
  navigate(`${location.pathname}${qs ? `?${qs}` : ""}`, { replace: true });
}

export function useRoute(): Route | null {
  const [route, setRoute] = useState(() => routeOf(location));
  useEffect(() => {
    const update = () => setRoute(routeOf(location));
    listeners.add(update);
    return () => listeners.delete(update);
  }, []);
  return route;
}

export const hrefOf = (page: WebPageId, param?: string | null, query?: Record<string, string>) => {
  const qs = query ? new URLSearchParams(query).toString() : "";
  return `${pagePath(page, param)}${qs ? `?${qs}` : ""}`;
};

interface LinkProps {
  href: string;
  children?: ComponentChildren;
  class?: string;
  "aria-current"?: "page" | undefined;
  "aria-label"?: string;
}

/** An ordinary link (open in a new tab works) that navigates in place on a plain click. */
export function Link({ href, children, ...rest }: LinkProps) {
  const onClick = (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return (
    <a {...rest} href={href} onClick={onClick}>
      {children}
    </a>
  );
}
