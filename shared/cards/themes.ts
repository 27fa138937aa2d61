/**
 * Card colours. The two themes match GitHub's own light and dark palettes, so a card sits in a
 * profile README like a native element; the accent is Spotify's green, darkened on light
 * backgrounds where the bright green would fail contrast for small text.
 * Every value is a literal colour we control: nothing here ever comes from a request.
 */
export interface Theme {
  background: string;
  border: string;
  /** Titles. */
  title: string;
  /** Artists, names in lists. */
  text: string;
  /** Album, times, labels. */
  muted: string;
  accent: string;
  /** Status line when playing. */
  accentText: string;
  /** Unfilled part of progress and bar charts. */
  track: string;
  placeholder: string;
  placeholderIcon: string;
  /**
   * The weekly grid's four levels, least to most listened (an empty cell is `track`): GitHub's
   * own contribution-graph greens, so the grid reads like the one under every profile.
   */
  levels: readonly [string, string, string, string];
}

export const THEME_NAMES = ["light", "dark"] as const;
export type ThemeName = (typeof THEME_NAMES)[number];

export const themes: Record<ThemeName, Theme> = {
  light: {
    background: "#ffffff",
    border: "#d0d7de",
    title: "#1f2328",
    text: "#424a53",
    muted: "#656d76",
    accent: "#1db954",
    accentText: "#1a7f37",
    track: "#e6eaef",
    placeholder: "#eaeef2",
    placeholderIcon: "#8c959f",
    levels: ["#9be9a8", "#40c463", "#30a14e", "#216e39"],
  },
  dark: {
    background: "#0d1117",
    border: "#30363d",
    title: "#f0f6fc",
    text: "#c9d1d9",
    muted: "#9198a1",
    accent: "#1ed760",
    accentText: "#3fb950",
    track: "#262c36",
    placeholder: "#21262d",
    placeholderIcon: "#6e7681",
    levels: ["#0e4429", "#006d32", "#26a641", "#39d353"],
  },
};
