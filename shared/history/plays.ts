import type { Play } from "../domain/entities.ts";
import { type CursorCodec, createCursorCodec } from "../store/cursor.ts";
import type { Page, Store } from "../store/port.ts";

/**
 * GET /plays with filters, on top of the store's one listing (store.listPlays, newest first):
 * the store pages are read and filtered here, so filtering costs no new access pattern.
 *
 * A page may need several store pages to fill `limit` (a rare track among thousands of plays),
 * so the work per request is bounded: after MAX_SCANNED plays read, the page ends with what it
 * found (possibly nothing) and a cursor to carry on. The cursor names the last play looked at
 * (its sort key, `<listened_at>#<track_id>`), MAC'd for this listener, these bounds and these
 * filters: the next page starts just below it, so a play deleted or added meanwhile neither
 * shifts nor repeats what follows.
 */

export interface PlayFilters {
  from?: string | undefined;
  to?: string | undefined;
  track_id?: string | undefined;
  artist_id?: string | undefined;
  /** true: plays only; false: skips only. */
  counted?: boolean | undefined;
}

/** Plays read from the store per request at most, whatever the filters. */
export const MAX_SCANNED = 2000;
/** Store page size while filtering: one Query brings many candidates. */
const FILTER_PAGE = 250;

const playKey = (p: Pick<Play, "listened_at" | "track_id">) => `${p.listened_at}#${p.track_id}`;

export function matchesFilters(p: Play, f: PlayFilters): boolean {
  if (f.track_id !== undefined && p.track_id !== f.track_id) return false;
  if (f.artist_id !== undefined && !p.artists.some((a) => a.id === f.artist_id)) return false;
  if (f.counted !== undefined && p.counted !== f.counted) return false;
  return true;
}

const filtering = (f: PlayFilters) =>
  f.track_id !== undefined || f.artist_id !== undefined || f.counted !== undefined;

const codecs = new Map<string, CursorCodec>();
function codecFor(secret: string | undefined): CursorCodec {
  // Without a secret every call would draw a new random key: keep one per process.
  const k = secret ?? "";
  let c = codecs.get(k);
  if (!c) {
    c = createCursorCodec(secret);
    codecs.set(k, c);
  }
  return c;
}

export async function listPlaysFiltered(
  store: Store,
  opts: { listener: string; cursorSecret: string | undefined; maxScanned?: number },
  q: PlayFilters & { limit: number; cursor?: string | undefined },
): Promise<Page<Play>> {
  // Unfiltered, the store's own listing answers: its cursors also page /export/plays.json.
  if (!filtering(q)) return store.listPlays(q);
  const codec = codecFor(opts.cursorSecret);
  const budget = opts.maxScanned ?? MAX_SCANNED;
  const scope = [
    "plays-filtered",
    opts.listener,
    q.from ?? "",
    q.to ?? "",
    q.track_id ?? "",
    q.artist_id ?? "",
    q.counted ?? "",
  ]
    .map((s) => encodeURIComponent(String(s)))
    .join(":");
  const below = codec.decode(q.cursor, scope, ["below"])?.below;
  // A store listing bounded above by the last play looked at: its `to` compares sort keys, so
  // the play itself may come back (BETWEEN is inclusive) and is dropped below.
  const to = typeof below === "string" ? below : q.to;
  const pageSize = Math.max(q.limit, FILTER_PAGE);
  const items: Play[] = [];
  let scanned = 0;
  let last: string | null = null;
  let storeCursor: string | undefined;
  for (;;) {
    const page = await store.listPlays({
      from: q.from,
      to,
      limit: Math.min(pageSize, budget - scanned),
      cursor: storeCursor,
    });
    let looked = 0;
    for (const p of page.items) {
      looked++;
      const key = playKey(p);
      if (typeof below === "string" && key >= below) continue;
      scanned++;
      last = key;
      if (matchesFilters(p, q)) items.push(p);
      if (items.length === q.limit) break;
    }
    storeCursor = page.next_cursor ?? undefined;
    const more = storeCursor !== undefined || looked < page.items.length;
    if (!more || items.length === q.limit || scanned >= budget) {
      return { items, next_cursor: more && last ? codec.encode({ below: last }, scope) : null };
    }
  }
}
