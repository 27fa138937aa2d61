/**
 * Every cache key the app writes, and how long each lives. A listener's keys carry the
 * listener (`l:<id>:…`): two listeners' loops, snapshots and tokens never meet. The cache is
 * rebuildable state, so an upgrade simply starts writing these keys (table.ts is the same
 * place for the DynamoDB keys). Shared keys (OAuth state, login failures) belong to nobody.
 * Album art, which belongs to nobody either, keys itself by image (shared/cards/art.ts).
 */

const DAY_MS = 86_400_000;

const of = (listener: string, name: string) => `l:${listener}:${name}`;
const spotifyTops = (listener: string) => of(listener, "spotify:top:");
/** Every card's kept data (rankings, grids) sits under one prefix, cleared together. */
const cards = (listener: string) => of(listener, "card:");
const topArtistsCards = (listener: string) => `${cards(listener)}top-artists:`;

export const cacheKeys = {
  /** The playback loop's lease (`SET NX PX`): one live loop per listener. */
  lease: (listener: string) => of(listener, "loop:lease"),
  /** The now-playing snapshot the loop writes and the cards read. */
  snapshot: (listener: string) => of(listener, "now-playing"),
  quotaUntil: (listener: string) => of(listener, "loop:quota-until"),
  /** Listens a stopped chain could not store, for the next chain. */
  parked: (listener: string) => of(listener, "loop:parked"),
  status: (listener: string) => of(listener, "loop:status"),
  /** The tracker state of a manual poll where no loop could be started. */
  manualState: (listener: string) => of(listener, "loop:manual-state"),
  accessToken: (listener: string) => of(listener, "spotify:access_token"),
  spotifyTop: (listener: string, type: string, range: string, limit: number) =>
    `${spotifyTops(listener)}${type}:${range}:${limit}`,
  /** Every Spotify top list kept for one listener (cleared by POST /admin/clear-cache). */
  spotifyTops,
  topArtistsCard: (listener: string, range: string, day: string) =>
    `${topArtistsCards(listener)}${range}:${day}`,
  /** Every top-artists card ranking kept for one listener. */
  topArtistsCards,
  /** The weekly grid of one local day (`day`, in `tz`): its cells, kept a few minutes. */
  weeklyGridCard: (listener: string, tz: string, day: string) => `${cards(listener)}weekly-grid:${tz}:${day}`,
  /** A year card's numbers (of a closed year or one so far), in `tz`. */
  yearCard: (listener: string, year: number, tz: string) => `${cards(listener)}year:${year}:${tz}`,
  /** Every card ranking and grid kept for one listener (cleared by POST /admin/clear-cache). */
  cards,
  /** Every key of one listener starts so (what `POST /admin/clear-cache` may clear). */
  listenerPrefix: (listener: string) => of(listener, ""),

  /** The lyrics analysis run's lease: one run for the whole household (lyrics are catalog). */
  analysisLease: "analysis:lease",

  oauthState: (state: string) => `oauth:state:${state}`,
  oauthUsed: (state: string) => `oauth:used:${state}`,
  loginFailures: (client: string) => `ratelimit:login:${client}`,
} as const;

export const cacheTtlMs = {
  snapshot: 30 * DAY_MS,
  parked: 7 * DAY_MS,
  status: 30 * DAY_MS,
  manualState: 6 * 3_600_000,
  spotifyTop: 3_600_000,
  oauthState: 600_000,
  /**
   * A removed listener's lease mark (REMOVED_LEASE): longer than any loop of theirs can still
   * run (a loop notices it within `removalCheckMs`; an access token in memory lasts an hour).
   */
  removed: DAY_MS,
} as const;
