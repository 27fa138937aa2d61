import type { StatsRange } from "../stats/plan.ts";
import type { NowPlayingView, RecentRow, TopArtistRow, WeeklyGrid, YearCardView } from "./model.ts";
import { CARD_WIDTH, RANGE_LABELS } from "./model.ts";
import {
  escapeXml,
  type FontSpec,
  fitText,
  formatAgo,
  formatDuration,
  formatListened,
  measureText,
} from "./text.ts";
import { type Theme, type ThemeName, themes } from "./themes.ts";

/**
 * The SVG cards: pure functions from a view model and options to an SVG string.
 *
 * Safety rules every card follows (the hostile-input tests check the output):
 * - a string from outside reaches the SVG only through `text()`: cleaned, truncated by
 *   grapheme and width, then escaped — and only ever as element text, never as an attribute;
 * - attributes carry numbers we computed, colours from themes.ts, or an image data URI that
 *   `safeDataUri` accepted (raster types, base64 alphabet only);
 * - no scripts, no event handlers, no links, no external references: an SVG shown through an
 *   <img> (as GitHub does) loads nothing anyway, and one opened directly has nothing to run.
 */

const FONT =
  "-apple-system, BlinkMacSystemFont, 'Segoe UI', 'Noto Sans', Helvetica, Arial, sans-serif, 'Apple Color Emoji', 'Segoe UI Emoji'";

const PAD = 20;

const num = (n: number) => String(Math.round(n * 10) / 10);

const DATA_URI_RE = /^data:image\/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/]+={0,2}$/;

/** The art as given, if it is an image data URI we are willing to embed; otherwise null. */
export function safeDataUri(art: string | null | undefined): string | null {
  return typeof art === "string" && DATA_URI_RE.test(art) ? art : null;
}

interface TextOpts extends FontSpec {
  fill: string;
  anchor?: "start" | "end";
}

/**
 * One line of text from outside: fitted to `maxWidth` and escaped. Right-to-left text keeps
 * its natural direction (so the ellipsis lands at its visual end) while staying aligned like
 * the rest of the card.
 */
function text(x: number, y: number, raw: string, maxWidth: number, o: TextOpts): string {
  const fit = fitText(raw, maxWidth, o);
  if (fit.text === "") return "";
  const anchor = o.anchor ?? "start";
  // With direction="rtl", "start" is the right edge: flip the anchor to keep the alignment.
  const rtlAnchor = anchor === "start" ? "end" : "start";
  const dir = fit.rtl ? ` direction="rtl" unicode-bidi="embed" text-anchor="${rtlAnchor}"` : "";
  const anchorAttr = !fit.rtl && anchor === "end" ? ' text-anchor="end"' : "";
  const weight = o.bold ? ' font-weight="600"' : "";
  const spacing = o.letterSpacing ? ` letter-spacing="${num(o.letterSpacing)}"` : "";
  return `<text x="${num(x)}" y="${num(y)}" font-size="${o.size}" fill="${o.fill}"${weight}${spacing}${anchorAttr}${dir}>${escapeXml(fit.text)}</text>`;
}

function frame(width: number, height: number, theme: Theme, label: string, body: string[]): string {
  const title = escapeXml(fitText(label, 4000, { size: 10 }).text);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="card-title">`,
    `<title id="card-title">${title}</title>`,
    "<defs>",
    '<clipPath id="rounded" clipPathUnits="objectBoundingBox"><rect width="1" height="1" rx="0.08"/></clipPath>',
    '<clipPath id="round" clipPathUnits="objectBoundingBox"><circle cx="0.5" cy="0.5" r="0.5"/></clipPath>',
    "</defs>",
    `<rect x="0.5" y="0.5" width="${width - 1}" height="${height - 1}" rx="10" fill="${theme.background}" stroke="${theme.border}"/>`,
    `<g font-family="${FONT}">`,
    ...body,
    "</g>",
    "</svg>",
  ].join("");
}

/** Album art, or a note on a tile when there is none (or it could not be fetched). */
function art(
  x: number,
  y: number,
  size: number,
  dataUri: string | null,
  theme: Theme,
  round = false,
): string {
  const clip = round ? "round" : "rounded";
  const safe = safeDataUri(dataUri);
  if (safe) {
    return `<image x="${num(x)}" y="${num(y)}" width="${num(size)}" height="${num(size)}" preserveAspectRatio="xMidYMid slice" clip-path="url(#${clip})" href="${safe}"/>`;
  }
  const s = size / 100;
  const tile = round
    ? `<circle cx="${num(x + size / 2)}" cy="${num(y + size / 2)}" r="${num(size / 2)}" fill="${theme.placeholder}"/>`
    : `<rect x="${num(x)}" y="${num(y)}" width="${num(size)}" height="${num(size)}" rx="${num(size * 0.08)}" fill="${theme.placeholder}"/>`;
  // A beamed pair of eighth notes, drawn on a 100×100 grid.
  const note = `<g transform="translate(${num(x)} ${num(y)}) scale(${Math.round(s * 1000) / 1000})" fill="${theme.placeholderIcon}"><path d="M38 30 L72 23 L72 64 A9 8 0 1 1 66 56.5 L66 36 L44 40.5 L44 71 A9 8 0 1 1 38 63.5 Z"/></g>`;
  return tile + note;
}

function equalizer(x: number, baseline: number, color: string): string {
  const bars = [7, 11, 5].map(
    (h, i) =>
      `<rect x="${num(x + i * 4)}" y="${num(baseline - h)}" width="2.5" height="${h}" rx="1" fill="${color}"/>`,
  );
  return bars.join("");
}

function pauseIcon(x: number, baseline: number, color: string): string {
  return `<rect x="${num(x)}" y="${num(baseline - 9)}" width="3" height="9" rx="1" fill="${color}"/><rect x="${num(x + 5)}" y="${num(baseline - 9)}" width="3" height="9" rx="1" fill="${color}"/>`;
}

const LABEL: FontSpec = { size: 11, bold: true, letterSpacing: 0.8 };

export interface CardOptions {
  theme: ThemeName;
  width: number;
  /** Request time, for "3 min ago" labels. */
  nowMs: number;
}

export interface NowPlayingCardOptions extends CardOptions {
  showProgress: boolean;
  showArt: boolean;
  /** Embedded art (data URI); null draws the placeholder. */
  art: string | null;
}

const clampWidth = (w: number) =>
  Math.round(Math.min(CARD_WIDTH.max, Math.max(CARD_WIDTH.min, Number.isFinite(w) ? w : CARD_WIDTH.default)));

function nowPlayingLabel(v: NowPlayingView): string {
  if (v.state === "empty") return "Nothing played yet";
  const who = v.artists.length > 0 ? ` by ${v.artists.join(", ")}` : "";
  const what = `${v.title ?? ""}${who}`;
  if (v.state === "playing") return `Now playing: ${what}`;
  if (v.state === "paused") return `Paused: ${what}`;
  return `Last played: ${what}`;
}

export function renderNowPlayingCard(v: NowPlayingView, o: NowPlayingCardOptions): string {
  const theme = themes[o.theme];
  const W = clampWidth(o.width);
  const H = 132;
  const ART = 100;
  const x0 = o.showArt ? PAD + ART + 16 : PAD;
  const right = W - PAD;
  const tw = right - x0;
  const body: string[] = [];
  if (o.showArt) body.push(art(16, 16, ART, v.state === "empty" ? null : o.art, theme));

  // Status line: what the card shows and since when.
  let status: string;
  let statusColor = theme.muted;
  let icon = "";
  if (v.state === "playing") {
    status = "NOW PLAYING";
    statusColor = theme.accentText;
    icon = equalizer(x0, 32, theme.accent);
  } else if (v.state === "paused") {
    status = "PAUSED";
    icon = pauseIcon(x0, 32, theme.muted);
  } else if (v.state === "last_played") {
    const at = v.played_at ? Date.parse(v.played_at) : Number.NaN;
    status = Number.isFinite(at) ? `LAST PLAYED · ${formatAgo(at, o.nowMs).toUpperCase()}` : "LAST PLAYED";
  } else {
    status = "NOTHING PLAYED YET";
  }
  if ((v.state === "playing" || v.state === "paused") && v.device_type) {
    status += ` ON ${v.device_type.toUpperCase()}`;
  }
  const statusX = icon ? x0 + 17 : x0;
  body.push(icon, text(statusX, 32, status, right - statusX, { ...LABEL, fill: statusColor }));

  if (v.state === "empty") {
    body.push(text(x0, 58, "No listens recorded yet", tw, { size: 18, bold: true, fill: theme.title }));
    body.push(
      text(x0, 80, "Play something on Spotify and it shows up here", tw, { size: 13, fill: theme.muted }),
    );
  } else {
    body.push(text(x0, 57, v.title ?? "", tw, { size: 18, bold: true, fill: theme.title }));
    body.push(text(x0, 78, v.artists.join(", "), tw, { size: 14, fill: theme.text }));
    if (v.album) body.push(text(x0, 97, v.album, tw, { size: 12, fill: theme.muted }));
  }

  const live = v.state === "playing" || v.state === "paused";
  if (o.showProgress && live && v.duration_ms !== null && v.duration_ms > 0) {
    const progress = Math.min(v.duration_ms, Math.max(0, v.progress_ms ?? 0));
    const font: FontSpec = { size: 11 };
    const left = formatDuration(progress);
    const total = formatDuration(v.duration_ms);
    const gap = 8;
    const barX = x0 + measureText(left, font) + gap;
    const barEnd = right - measureText(total, font) - gap;
    const barW = Math.max(0, barEnd - barX);
    // Whole pixels: the card (and its ETag) changes only when the bar visibly moves.
    const filled = Math.round((barW * progress) / v.duration_ms);
    body.push(
      text(x0, 115, left, 60, { ...font, fill: theme.muted }),
      `<rect x="${num(barX)}" y="109" width="${num(barW)}" height="4" rx="2" fill="${theme.track}"/>`,
      filled > 0
        ? `<rect x="${num(barX)}" y="109" width="${filled}" height="4" rx="2" fill="${v.state === "playing" ? theme.accent : theme.muted}"/>`
        : "",
      text(right, 115, total, 60, { ...font, fill: theme.muted, anchor: "end" }),
    );
  }
  return frame(W, H, theme, nowPlayingLabel(v), body);
}

export interface ListCardOptions extends CardOptions {
  showArt: boolean;
}

function header(label: string, W: number, theme: Theme): string {
  return text(PAD, 30, label, W - 2 * PAD, { ...LABEL, fill: theme.muted });
}

export function renderRecentlyPlayedCard(rows: readonly RecentRow[], o: ListCardOptions): string {
  const theme = themes[o.theme];
  const W = clampWidth(o.width);
  const ROW = 46;
  const ART = 36;
  const right = W - PAD;
  const x1 = o.showArt ? PAD + ART + 12 : PAD;
  const body: string[] = [header("RECENTLY PLAYED", W, theme)];
  rows.forEach((r, i) => {
    const y = 44 + i * ROW;
    if (o.showArt) body.push(art(PAD, y + 5, ART, r.art, theme));
    const ago = formatAgo(Date.parse(r.played_at), o.nowMs);
    const agoFont: FontSpec = { size: 12 };
    const agoW = measureText(ago, agoFont);
    body.push(
      text(x1, y + 21, r.title, right - x1 - agoW - 12, { size: 14, bold: true, fill: theme.title }),
      text(right, y + 21, ago, agoW + 1, { ...agoFont, fill: theme.muted, anchor: "end" }),
      text(x1, y + 38, r.artists.join(", "), right - x1, { size: 12, fill: theme.muted }),
    );
  });
  if (rows.length === 0) {
    body.push(text(PAD, 66, "Nothing played yet", W - 2 * PAD, { size: 14, fill: theme.muted }));
  }
  const H = 44 + Math.max(1, rows.length) * ROW + 8;
  const label = rows.length
    ? `Recently played: ${rows.map((r) => `${r.title} by ${r.artists.join(", ")}`).join("; ")}`
    : "Recently played: nothing yet";
  return frame(W, H, theme, label, body);
}

export interface TopArtistsCardOptions extends ListCardOptions {
  range: StatsRange;
}

export function renderTopArtistsCard(rows: readonly TopArtistRow[], o: TopArtistsCardOptions): string {
  const theme = themes[o.theme];
  const W = clampWidth(o.width);
  const ROW = 44;
  const ART = 32;
  const right = W - PAD;
  const rankW = 22;
  const x1 = PAD + rankW + (o.showArt ? ART + 12 : 0);
  const max = Math.max(1, ...rows.map((r) => r.plays));
  const body: string[] = [header(`TOP ARTISTS · ${RANGE_LABELS[o.range].toUpperCase()}`, W, theme)];
  rows.forEach((r, i) => {
    const y = 44 + i * ROW;
    body.push(text(PAD, y + 27, String(i + 1), rankW, { size: 13, bold: true, fill: theme.muted }));
    if (o.showArt) body.push(art(PAD + rankW, y + 6, ART, r.art, theme, true));
    const plays = `${r.plays.toLocaleString("en-US")} ${r.plays === 1 ? "play" : "plays"}`;
    const playsFont: FontSpec = { size: 12 };
    const playsW = measureText(plays, playsFont);
    const barW = right - x1;
    const filled = Math.max(2, Math.round((barW * r.plays) / max));
    body.push(
      text(x1, y + 20, r.name, barW - playsW - 12, { size: 14, bold: true, fill: theme.title }),
      text(right, y + 20, plays, playsW + 1, { ...playsFont, fill: theme.muted, anchor: "end" }),
      `<rect x="${num(x1)}" y="${y + 28}" width="${num(barW)}" height="5" rx="2.5" fill="${theme.track}"/>`,
      `<rect x="${num(x1)}" y="${y + 28}" width="${filled}" height="5" rx="2.5" fill="${theme.accent}"/>`,
    );
  });
  if (rows.length === 0) {
    body.push(
      text(PAD, 66, "No plays counted in this period yet", W - 2 * PAD, { size: 14, fill: theme.muted }),
    );
  }
  const H = 44 + Math.max(1, rows.length) * ROW + 8;
  const label = rows.length
    ? `Top artists (${RANGE_LABELS[o.range]}): ${rows.map((r) => r.name).join(", ")}`
    : `Top artists (${RANGE_LABELS[o.range]}): none yet`;
  return frame(W, H, theme, label, body);
}

const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const;

/**
 * 0 for an empty cell, else 1–4 by its share of the busiest cell (as GitHub's contribution
 * graph does): relative, so a quiet week still shows its shape.
 */
export function gridLevel(ms: number, maxMs: number): number {
  if (ms <= 0 || maxMs <= 0) return 0;
  return Math.min(4, Math.max(1, Math.ceil((4 * ms) / maxMs)));
}

/**
 * The weekly grid: one row per local day (oldest on top, today last), one cell per local hour,
 * coloured by the minutes listened in it. Each cell carries its whole minutes in
 * `data-minutes` (inert in an SVG; what a reader or a test can check the colour against).
 */
export function renderWeeklyGridCard(grid: WeeklyGrid, o: CardOptions): string {
  const theme = themes[o.theme];
  const W = clampWidth(o.width);
  const labelFont: FontSpec = { size: 11 };
  const labelW = 52;
  const gridX = PAD + labelW;
  const col = (W - PAD - gridX) / 24;
  const gap = Math.max(1, Math.round(col * 0.15 * 10) / 10);
  const cell = col - gap;
  // Square cells, except on narrow cards where a row must still hold its day's label.
  const rowH = Math.max(col, 15);
  const top = 44;
  const cells = grid.days.flatMap((d) => d.listened_ms);
  const max = Math.max(0, ...cells);
  const total = cells.reduce((a, b) => a + b, 0);
  const body: string[] = [
    header("LISTENING · LAST 7 DAYS", W, theme),
    text(W - PAD, 30, formatListened(total), 120, { ...labelFont, fill: theme.muted, anchor: "end" }),
  ];
  let busiest: { day: number; hour: number; ms: number } | null = null;
  for (const [row, d] of grid.days.entries()) {
    const y = top + row * rowH;
    const label = `${WEEKDAYS[d.weekday] ?? ""} ${Number(d.date.slice(8, 10))}`;
    body.push(text(PAD, y + (rowH - gap) / 2 + 4, label, labelW - 6, { ...labelFont, fill: theme.muted }));
    for (let hour = 0; hour < 24; hour++) {
      const ms = d.listened_ms[hour] ?? 0;
      if (ms > (busiest?.ms ?? 0)) busiest = { day: row, hour, ms };
      const level = gridLevel(ms, max);
      const fill = level === 0 ? theme.track : theme.levels[level - 1];
      body.push(
        `<rect x="${num(gridX + hour * col)}" y="${num(y)}" width="${num(cell)}" height="${num(rowH - gap)}" rx="2" fill="${fill}" data-minutes="${Math.round(ms / 60_000)}"/>`,
      );
    }
  }
  const gridBottom = top + 7 * rowH - gap;
  for (const hour of [0, 6, 12, 18]) {
    body.push(
      text(gridX + hour * col, gridBottom + 14, `${String(hour).padStart(2, "0")}:00`, 6 * col, {
        size: 10,
        fill: theme.muted,
      }),
    );
  }
  const footY = gridBottom + 34;
  const peakDay = busiest ? grid.days[busiest.day] : undefined;
  const peakText =
    busiest && peakDay
      ? `Busiest hour: ${WEEKDAYS[peakDay.weekday]} ${String(busiest.hour).padStart(2, "0")}:00 · ${formatListened(busiest.ms)}`
      : "Nothing played in the last 7 days";
  const tzW = measureText(grid.tz, labelFont);
  body.push(
    text(PAD, footY, peakText, W - 2 * PAD - Math.min(tzW, 160) - 12, { ...labelFont, fill: theme.text }),
    text(W - PAD, footY, grid.tz, 160, { ...labelFont, fill: theme.muted, anchor: "end" }),
  );
  const label = `Listening over the last 7 days (${grid.tz}): ${formatListened(total)}; ${peakText.replace(/^Busiest hour: /, "busiest hour ")}`;
  return frame(W, Math.round(footY + 14), theme, label, body);
}

const MONTH_NAMES = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
] as const;

/**
 * The year-in-review share card: three headline numbers (minutes, plays, new artists), the
 * year's top artist, track and genre, and a line with its busiest month and longest streak.
 */
export function renderYearCard(v: YearCardView, o: CardOptions): string {
  const theme = themes[o.theme];
  const W = clampWidth(o.width);
  const inner = W - 2 * PAD;
  const count = (n: number) => Math.round(n).toLocaleString("en-US");
  const body: string[] = [
    header(v.soFar ? `MY ${v.year} IN MUSIC · SO FAR` : `MY ${v.year} IN MUSIC`, W, theme),
  ];
  // Three numbers side by side, each in a third of the card.
  const third = inner / 3;
  const numbers: [string, string][] = [
    [count(v.listened_ms / 60_000), "minutes"],
    [count(v.plays), v.plays === 1 ? "play" : "plays"],
    [count(v.new_artists), v.new_artists === 1 ? "new artist" : "new artists"],
  ];
  numbers.forEach(([n, label], i) => {
    const x = PAD + i * third;
    // A number is never cut: on a narrow card it gets a smaller font instead.
    const size = Math.min(24, Math.floor((24 * (third - 8)) / measureText(n, { size: 24, bold: true })));
    body.push(
      text(x, 64, n, third - 8, { size, bold: true, fill: i === 0 ? theme.accentText : theme.title }),
      text(x, 82, label, third - 8, { size: 12, fill: theme.muted }),
    );
  });
  const rows: [string, string | null][] = [
    ["Top artist", v.top_artist],
    [
      "Top track",
      v.top_track
        ? `${v.top_track.name}${v.top_track.artists.length ? ` · ${v.top_track.artists.join(", ")}` : ""}`
        : null,
    ],
    ["Top genre", v.top_genre],
  ];
  const labelW = 78;
  rows.forEach(([label, value], i) => {
    const y = 114 + i * 24;
    body.push(
      text(PAD, y, label, labelW - 6, { size: 12, fill: theme.muted }),
      text(PAD + labelW, y, value ?? "—", inner - labelW, {
        size: 14,
        bold: value !== null,
        fill: theme.title,
      }),
    );
  });
  const month = v.busiest_month ? MONTH_NAMES[v.busiest_month - 1] : undefined;
  const facts = [
    month ? `Busiest month: ${month}` : null,
    v.longest_streak_days
      ? `Longest streak: ${v.longest_streak_days} ${v.longest_streak_days === 1 ? "day" : "days"}`
      : null,
  ].filter((x): x is string => x !== null);
  const footFont: FontSpec = { size: 12 };
  // One line when it fits, else a line per fact.
  const lines =
    v.plays === 0
      ? ["Nothing played this year yet"]
      : measureText(facts.join(" · "), footFont) <= inner
        ? [facts.join(" · ")]
        : facts;
  const footY = 114 + 3 * 24 + 6;
  lines.forEach((line, i) => {
    body.push(text(PAD, footY + i * 17, line, inner, { ...footFont, fill: theme.text }));
  });
  const label =
    `${v.year}${v.soFar ? " so far" : ""} in music: ${count(v.listened_ms / 60_000)} minutes, ${count(v.plays)} plays, ` +
    `${count(v.new_artists)} new artists; top artist ${v.top_artist ?? "none"}; top track ${v.top_track?.name ?? "none"}; ` +
    `top genre ${v.top_genre ?? "none"}${facts.length ? `; ${facts.join("; ")}` : ""}`;
  return frame(W, footY + Math.max(0, lines.length - 1) * 17 + 18, theme, label, body);
}
