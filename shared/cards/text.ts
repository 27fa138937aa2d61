/**
 * Text for the SVG cards: cleaning, measuring, truncating and escaping strings that come from
 * Spotify (or from anyone who named a track or a playlist). Pure; no I/O.
 *
 * The order matters and is fixed here: clean → truncate (by grapheme, by measured width) →
 * escape. Escaping last means a cut can never land inside an entity, and truncating by
 * grapheme means a cut never splits an emoji sequence, a flag or a base from its accents.
 *
 * Nothing can measure text in the browser that finally draws it (an SVG inside an <img> gets
 * whatever fonts the viewer has), so widths come from a table: Arial/Helvetica advance widths
 * for ASCII, generous averages elsewhere, 1 em for East Asian wide characters, more for
 * emoji. The estimate errs wide, so a string we call fitting does fit.
 */

export interface FontSpec {
  /** Pixels. */
  size: number;
  bold?: boolean;
  /** Extra px after every character (SVG letter-spacing). */
  letterSpacing?: number;
}

/** Advance widths of U+0020..U+007E in 1/1000 em (Arial, which Helvetica and Liberation Sans share). */
// biome-ignore format: a table reads best as a table
const ASCII_WIDTHS = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // space ! " # $ % & ' ( ) * + , - . /
  556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0-9 : ; < = > ?
  1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @ A-O
  667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P-Z [ \ ] ^ _
  333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // ` a-o
  556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p-z { | } ~
] as const;

/** System UI fonts (Segoe UI, SF) run a little wider than Arial; bold wider still. */
const REGULAR_FACTOR = 1.06;
const BOLD_FACTOR = 1.14;
const EMOJI_EM = 1.3;
const WIDE_EM = 1.0;
const OTHER_EM = 0.64;

/** East Asian Wide and Fullwidth blocks (UAX #11), the ones names actually use. */
const WIDE_RANGES: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f], // Hangul Jamo initial consonants
  [0x2e80, 0x303e], // CJK radicals, Kangxi, ideographic description, CJK symbols and punctuation
  [0x3041, 0x33ff], // Hiragana, Katakana, Bopomofo, Hangul compatibility Jamo, Kanbun, CJK compatibility
  [0x3400, 0x4dbf], // CJK Extension A
  [0x4e00, 0x9fff], // CJK Unified Ideographs
  [0xa000, 0xa4cf], // Yi
  [0xa960, 0xa97f], // Hangul Jamo Extended-A
  [0xac00, 0xd7a3], // Hangul syllables
  [0xf900, 0xfaff], // CJK compatibility ideographs
  [0xfe10, 0xfe19], // vertical forms
  [0xfe30, 0xfe6f], // CJK compatibility forms, small form variants
  [0xff00, 0xff60], // fullwidth forms
  [0xffe0, 0xffe6], // fullwidth signs
  [0x16fe0, 0x18aff], // Tangut, ideographic symbols
  [0x1b000, 0x1b16f], // Kana supplement and extensions
  [0x1f200, 0x1f2ff], // enclosed ideographic supplement
  [0x20000, 0x3fffd], // CJK Extensions B–H, compatibility supplement
];

/** Right-to-left scripts: Hebrew, Arabic, Syriac, Thaana, NKo, Samaritan, Mandaic, presentation forms… */
const RTL_RANGES: readonly (readonly [number, number])[] = [
  [0x0590, 0x08ff],
  [0xfb1d, 0xfdff],
  [0xfe70, 0xfeff],
  [0x10800, 0x10fff],
  [0x1e800, 0x1efff],
];

const inRanges = (cp: number, ranges: readonly (readonly [number, number])[]) => {
  for (const [lo, hi] of ranges) {
    if (cp < lo) return false;
    if (cp <= hi) return true;
  }
  return false;
};

let segmenterInstance: Intl.Segmenter | undefined;
const segmenter = () => {
  segmenterInstance ??= new Intl.Segmenter(undefined, { granularity: "grapheme" });
  return segmenterInstance;
};

// Drawn as a colour emoji: emoji presentation by default, or text-default pictographs asked
// for with VS16, keycaps, and regional-indicator flags.
const EMOJI_RE = /\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F|\u20E3|\p{Regional_Indicator}/u;
// Non-spacing and enclosing marks, format characters (ZWJ, ZWSP, LRM…) and variation
// selectors take no room; spacing marks (Devanagari vowel signs) do, and are measured.
const ZERO_WIDTH_RE = /^[\p{Mn}\p{Me}\p{Cf}]$/u;

function codePointEm(cp: number): number {
  if (cp >= 0x20 && cp <= 0x7e) return (ASCII_WIDTHS[cp - 0x20] ?? 556) / 1000;
  if (inRanges(cp, WIDE_RANGES)) return WIDE_EM;
  if (cp === 0x00a0) return 0.278;
  // Latin-1 and Latin Extended letters are Latin letters with marks: wide-ish Latin widths.
  return OTHER_EM;
}

/**
 * Width of one grapheme cluster in em. Marks and joiners ride on their base; several bases in
 * one cluster (Hangul jamo, Indic conjuncts) are summed, which errs wide. A cluster of marks
 * alone is drawn on a dotted circle, so it gets a width too.
 */
export function graphemeEm(g: string): number {
  if (EMOJI_RE.test(g)) return EMOJI_EM;
  let em = 0;
  let marks = false;
  for (const ch of g) {
    if (ZERO_WIDTH_RE.test(ch)) {
      marks ||= /\p{M}/u.test(ch);
      continue;
    }
    em += codePointEm(ch.codePointAt(0) ?? 0x20);
  }
  return em === 0 && marks ? OTHER_EM : em;
}

const factor = (font: FontSpec) => font.size * (font.bold ? BOLD_FACTOR : REGULAR_FACTOR);
/** Letter spacing expressed in em of this font, so it adds per grapheme like a width. */
const spacingEm = (font: FontSpec) => (font.letterSpacing ?? 0) / factor(font);

/** Estimated rendered width in px (see the note at the top: an upper estimate). */
export function measureText(text: string, font: FontSpec): number {
  const ls = spacingEm(font);
  let em = 0;
  for (const { segment } of segmenter().segment(text)) em += graphemeEm(segment) + ls;
  return em * factor(font);
}

/** Longest input considered: a name is never this long, and it bounds the work per request. */
const MAX_INPUT = 2048;

/**
 * Makes any string safe to place in XML text and sensible to show on one line:
 * - lone surrogates become U+FFFD (they cannot be encoded in UTF-8 XML);
 * - characters XML 1.0 forbids (C0 controls, U+FFFE/U+FFFF) and C1 controls go;
 * - bidi embeddings, overrides and isolates go (an unterminated RLO would reorder the
 *   ellipsis we append; each <text> gets its own direction instead);
 * - line breaks, tabs and runs of whitespace become one space; NFC so accents compose;
 * - more than four combining marks in a row ("Zalgo" text) are cut to four, or they would
 *   climb out of the card.
 */
export function cleanText(raw: string): string {
  return raw
    .slice(0, MAX_INPUT)
    .toWellFormed()
    .normalize("NFC")
    .replace(/\s+/g, " ")
    .replace(/[\p{Cc}\uFFFE\uFFFF]/gu, "")
    .replace(/[\u202A-\u202E\u2066-\u2069\u206A-\u206F\uFFF9-\uFFFB]/g, "")
    .replace(/ {2,}/g, " ")
    .replace(/(\p{M}{4})\p{M}+/gu, "$1")
    .trim();
}

/** The first strong character decides the paragraph direction (UAX #9, rule P2, simplified). */
export function isRtl(text: string): boolean {
  for (const ch of text) {
    if (!/\p{L}/u.test(ch)) continue;
    return inRanges(ch.codePointAt(0) ?? 0, RTL_RANGES);
  }
  return false;
}

export const ELLIPSIS = "…";

export interface FittedText {
  /** Cleaned and possibly truncated; NOT escaped yet. */
  text: string;
  width: number;
  truncated: boolean;
  rtl: boolean;
}

/**
 * Cleans `raw` and cuts it to at most `maxWidth` px by whole graphemes, appending an ellipsis
 * when it cuts. Always returns something that fits (possibly just the ellipsis, or "").
 */
export function fitText(raw: string, maxWidth: number, font: FontSpec): FittedText {
  const text = cleanText(raw);
  const rtl = isRtl(text);
  const f = factor(font);
  const ls = spacingEm(font);
  const limitEm = Math.max(0, maxWidth) / f;
  const ellipsisEm = graphemeEm(ELLIPSIS) + ls;
  const graphemes: { g: string; em: number }[] = [];
  let total = 0;
  for (const { segment } of segmenter().segment(text)) {
    const em = graphemeEm(segment) + ls;
    total += em;
    graphemes.push({ g: segment, em });
    if (total > limitEm) break;
  }
  if (total <= limitEm) return { text, width: total * f, truncated: false, rtl };
  if (ellipsisEm > limitEm) return { text: "", width: 0, truncated: true, rtl };
  let kept = "";
  let keptEm = 0;
  for (const { g, em } of graphemes) {
    if (keptEm + em + ellipsisEm > limitEm) break;
    kept += g;
    keptEm += em;
  }
  // "Name …" reads worse than "Name…": drop the space the cut left behind.
  const trimmed = kept.trimEnd();
  const trimmedEm = keptEm - (kept.length - trimmed.length) * (graphemeEm(" ") + ls);
  return { text: trimmed + ELLIPSIS, width: (trimmedEm + ellipsisEm) * f, truncated: true, rtl };
}

const XML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes for XML text and attribute values. Call it on the final, already truncated string. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c);
}

/** 3:07, or 1:02:03 for long episodes. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** Listened time in words a card can hold: "45 min", "3 h 20 min", "112 h". */
export function formatListened(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return h >= 100 || m === 0 ? `${h} h` : `${h} h ${m} min`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "just now", "5 min ago", "3 h ago", "2 days ago", then a date: short enough for a card. */
export function formatAgo(atMs: number, nowMs: number): string {
  const s = Math.max(0, Math.floor((nowMs - atMs) / 1000));
  if (s < 60) return "just now";
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ago`;
  const d = Math.floor(h / 24);
  if (d < 7) return d === 1 ? "yesterday" : `${d} days ago`;
  const date = new Date(atMs);
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
}
