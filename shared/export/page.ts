import type { Play } from "../domain/entities.ts";
import type { Page } from "../store/port.ts";

/**
 * Export paging. API Gateway cannot stream a Lambda's answer (and a Lambda answer is at most
 * 6 MB), so the export is a sequence of pages: each answer carries one page and points at the
 * next with an RFC 8288 `Link: <…>; rel="next"` header (and `next_cursor` in the JSON body,
 * `X-Next-Cursor` beside the CSV). The link is relative to the request, so it holds behind any
 * domain or stage. The last page has no link.
 */
export function nextLink(path: string, page: Page<Play>, limit: number): Record<string, string> {
  if (!page.next_cursor) return {};
  const q = new URLSearchParams({ limit: String(limit), cursor: page.next_cursor });
  return { Link: `<${path}?${q}>; rel="next"`, "X-Next-Cursor": page.next_cursor };
}
