import type { Play } from "#shared/domain/entities.ts";
import type { TrackInfo } from "#shared/store/port.ts";
import { rng } from "./rng.ts";

export { rng };

/**
 * Generated listening histories for the statistics tests: a small catalog (multi-artist
 * credits, an artist credited twice, artists without an id, tracks without an album, local
 * files and episodes) and plays that crowd around the instants where statistics go wrong —
 * UTC and local midnights, month and year ends, DST switches — plus a uniform spread.
 */

export interface GeneratedPlay {
  play: Play;
  track: TrackInfo;
}

const ARTISTS = Array.from({ length: 12 }, (_, i) => ({ id: `ar${i}`, name: `Artist ${i}` }));

function catalog(random: () => number): TrackInfo[] {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)] as T;
  return Array.from({ length: 30 }, (_, i) => {
    const n = 1 + Math.floor(random() * 3);
    const artists: TrackInfo["artists"] = Array.from({ length: n }, () => pick(ARTISTS));
    if (i % 7 === 0) artists.push({ id: null, name: "Someone without an id" });
    if (i % 9 === 0 && artists[0]) artists.push(artists[0]); // credited twice
    const albumNo = i % 10;
    const kind = i === 28 ? "local" : i === 29 ? "episode" : "track";
    return {
      track_id: kind === "local" ? `spotify:local:x:y:song${i}:200` : `tr${i}`,
      kind,
      name: `Song ${i}`,
      uri: kind === "local" ? `spotify:local:x:y:song${i}:200` : `spotify:track:tr${i}`,
      artists,
      album:
        albumNo === 9
          ? null
          : { id: `al${albumNo}`, name: `Album ${albumNo}`, image_url: `https://i/al${albumNo}` },
      duration_ms: 120_000 + Math.floor(random() * 200_000),
    } satisfies TrackInfo;
  });
}

/** Instants where time zones and buckets disagree (UTC), around which plays cluster. */
export const EDGE_INSTANTS = [
  "2025-01-01T00:00:00Z",
  "2025-12-31T18:30:00Z", // midnight in Kolkata
  "2026-01-01T00:00:00Z",
  "2025-03-09T07:00:00Z", // New York springs forward
  "2025-11-02T06:00:00Z", // New York falls back
  "2025-04-05T16:30:00Z", // Adelaide leaves DST
  "2025-10-04T16:30:00Z", // Adelaide enters DST
  "2025-06-30T14:30:00Z", // Adelaide midnight, end of June
  "2025-07-01T04:00:00Z", // New York midnight, 1 July
  "2026-02-28T23:50:00Z",
];

export function generatePlays(opts: {
  count: number;
  seed: number;
  now: number;
  spanDays: number;
}): GeneratedPlay[] {
  const random = rng(opts.seed);
  const tracks = catalog(random);
  const used = new Set<string>();
  const out: GeneratedPlay[] = [];
  const start = opts.now - opts.spanDays * 86_400_000;
  while (out.length < opts.count) {
    const r = random();
    let at: number;
    if (r < 0.35) {
      const edge = Date.parse(EDGE_INSTANTS[Math.floor(random() * EDGE_INSTANTS.length)] as string);
      at = edge + Math.round((random() - 0.5) * 4 * 3_600_000);
    } else if (r < 0.55) {
      at = opts.now - Math.floor(random() * 9 * 86_400_000); // the last week or so
    } else {
      at = start + Math.floor(random() * (opts.now - start));
    }
    at = Math.min(at, opts.now - 1);
    const track = tracks[Math.floor(random() * tracks.length)] as TrackInfo;
    const listenedAt = new Date(at).toISOString();
    const key = `${listenedAt}#${track.track_id}`;
    if (used.has(key)) continue;
    used.add(key);
    const counted = random() < 0.8;
    const listened = counted
      ? 30_000 + Math.floor(random() * (track.duration_ms - 30_000))
      : Math.floor(random() * 20_000);
    out.push({ track, play: playOf(track, at, listened, counted) });
  }
  return out;
}

/** A poll-recorded play of `track` started at `startMs`: the one Play builder for tests and benches. */
export function playOf(
  track: TrackInfo,
  startMs: number,
  listenedMs: number,
  counted: boolean,
  extra: Partial<Play> = {},
): Play {
  return {
    track_id: track.track_id,
    kind: track.kind,
    name: track.name,
    artists: track.artists,
    album_id: track.album?.id ?? null,
    listened_at: new Date(startMs).toISOString(),
    ended_at: new Date(startMs + listenedMs).toISOString(),
    listened_ms: listenedMs,
    duration_ms: track.duration_ms,
    counted,
    estimated: false,
    source: "poll",
    device_name: null,
    device_type: null,
    context_type: null,
    context_uri: null,
    shuffle_state: null,
    ...extra,
  };
}

/** Genres for the catalog's artists: several, none at all, or never synced (null). */
export function artistGenres(id: string): string[] | null {
  const n = Number(id.slice(2));
  if (n % 4 === 0) return null;
  if (n % 4 === 1) return [];
  if (n % 4 === 2) return ["shoegaze", "dream pop"];
  return ["dream pop"];
}
