import { useState } from "preact/hooks";
import { CARD_WIDTH, RANGE_LABELS } from "../../shared/cards/model.ts";
import { THEME_NAMES, type ThemeName } from "../../shared/cards/themes.ts";
import { api, errorText, withQuery } from "../api.ts";
import { type PageProps, setQuery } from "../router.tsx";
import { useSession } from "../session.tsx";
import type { Me, StatsRange } from "../types.ts";
import { CopyLine } from "../ui/copy.tsx";
import { browserTimeZone } from "../ui/format.ts";
import { Panel } from "../ui/states.tsx";

/**
 * The README card builder: pick a card and its options, see it as GitHub will (an <img> of the
 * card's own URL, the same request GitHub's proxy makes), copy the markdown line. The choice
 * lives in the query string, so a reload or a shared link keeps it. Options are the ones each
 * card route takes (shared/http/schemas.ts); the limits come from the same constants.
 */

interface CardDef {
  label: string;
  alt: string;
  art: boolean;
  limit: boolean;
  range: boolean;
  tz: boolean;
}

const CARDS = {
  "now-playing": {
    label: "Now playing",
    alt: "Now playing on Spotify",
    art: true,
    limit: false,
    range: false,
    tz: false,
  },
  "recently-played": {
    label: "Recently played",
    alt: "Recently played on Spotify",
    art: true,
    limit: true,
    range: false,
    tz: false,
  },
  "top-artists": {
    label: "Top artists",
    alt: "My top artists",
    art: true,
    limit: true,
    range: true,
    tz: false,
  },
  "weekly-grid": {
    label: "Weekly grid",
    alt: "My listening over the last 7 days",
    art: false,
    limit: false,
    range: false,
    tz: true,
  },
} as const satisfies Record<string, CardDef>;
type CardType = keyof typeof CARDS;
const CARD_TYPES = Object.keys(CARDS) as CardType[];

const RANGES = Object.keys(RANGE_LABELS) as StatsRange[];
const isCard = (v: string | null): v is CardType => v !== null && Object.hasOwn(CARDS, v);
const isTheme = (v: string | null): v is ThemeName => THEME_NAMES.some((t) => t === v);
const isRange = (v: string | null): v is StatsRange => v !== null && Object.hasOwn(RANGE_LABELS, v);
const clamp = (v: number, lo: number, hi: number, fallback: number) =>
  Number.isInteger(v) ? Math.min(hi, Math.max(lo, v)) : fallback;

interface Choice {
  type: CardType;
  theme: ThemeName;
  width: number;
  range: StatsRange;
  limit: number;
  art: boolean;
}

function choiceOf(q: URLSearchParams): Choice {
  const type = q.get("type");
  const theme = q.get("theme");
  const range = q.get("range");
  return {
    type: isCard(type) ? type : "now-playing",
    theme: isTheme(theme) ? theme : "light",
    width: clamp(
      Number(q.get("width") ?? CARD_WIDTH.default),
      CARD_WIDTH.min,
      CARD_WIDTH.max,
      CARD_WIDTH.default,
    ),
    range: isRange(range) ? range : "4w",
    limit: clamp(Number(q.get("limit") ?? 5), 1, 10, 5),
    art: q.get("art") !== "0",
  };
}

/** The card's path for whoever is signed in: the owner's /spotify/…, a member's /u/{handle}/…. */
export function cardPath(me: Pick<Me, "role" | "handle">, type: string): string {
  return me.role === "owner" ? `/spotify/${type}.svg` : `/u/${encodeURIComponent(me.handle)}/${type}.svg`;
}

/** The card URL with only the options that differ from the route's defaults (a shorter line). */
function cardUrl(me: Me, c: Choice): string {
  const def: CardDef = CARDS[c.type];
  return withQuery(cardPath(me, c.type), {
    theme: c.theme === "light" ? null : c.theme,
    width: c.width === CARD_WIDTH.default ? null : c.width,
    range: def.range && c.range !== "4w" ? c.range : null,
    limit: def.limit && c.limit !== 5 ? c.limit : null,
    art: def.art && !c.art ? "0" : null,
    tz: def.tz ? browserTimeZone() : null,
  });
}

export function CardsPage({ route }: PageProps) {
  const { me, refresh } = useSession();
  const c = choiceOf(route.query);
  const def: CardDef = CARDS[c.type];
  const set = (changes: Partial<Record<keyof Choice, string | number | boolean>>) =>
    setQuery(Object.fromEntries(Object.entries(changes).map(([k, v]) => [k, v === true ? null : String(v)])));
  const url = cardUrl(me, c);
  const absolute = `${location.origin}${url}`;
  const markdown = `[![${def.alt}](${absolute})](${location.origin}/)`;
  const [preview, setPreview] = useState<{ url: string; state: "loaded" | "failed" } | null>(null);
  const [publishing, setPublishing] = useState<string | null>(null);
  const previewState = preview?.url === url ? preview.state : "loading";

  const makePublic = async () => {
    setPublishing("Making your cards public…");
    try {
      await api.patch<Me>("/me", { public: true });
      setPublishing(null);
      refresh();
    } catch (err) {
      setPublishing(errorText(err));
    }
  };

  return (
    <section>
      <h1>Cards</h1>
      <p class="muted">SVG cards for a GitHub profile README. Pick one, check the preview, copy the line.</p>
      <div class="grid">
        <Panel title="Card">
          <form class="stack card-options" onSubmit={(e) => e.preventDefault()}>
            <label>
              Type
              <select value={c.type} onChange={(e) => set({ type: e.currentTarget.value })}>
                {CARD_TYPES.map((t) => (
                  <option key={t} value={t}>
                    {CARDS[t].label}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Theme
              <select value={c.theme} onChange={(e) => set({ theme: e.currentTarget.value })}>
                {THEME_NAMES.map((t) => (
                  <option key={t} value={t}>
                    {t === "light" ? "Light" : "Dark"}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Width: {c.width} px
              <input
                type="range"
                min={CARD_WIDTH.min}
                max={CARD_WIDTH.max}
                step={10}
                value={c.width}
                onChange={(e) => set({ width: e.currentTarget.value })}
              />
            </label>
            {def.range ? (
              <label>
                Period
                <select value={c.range} onChange={(e) => set({ range: e.currentTarget.value })}>
                  {RANGES.map((r) => (
                    <option key={r} value={r}>
                      {RANGE_LABELS[r]}
                    </option>
                  ))}
                </select>
              </label>
            ) : null}
            {def.limit ? (
              <label>
                Rows
                <input
                  type="number"
                  min={1}
                  max={10}
                  value={c.limit}
                  onChange={(e) => set({ limit: e.currentTarget.value })}
                />
              </label>
            ) : null}
            {def.art ? (
              <label class="check">
                <input
                  type="checkbox"
                  checked={c.art}
                  onChange={(e) => set({ art: e.currentTarget.checked ? true : "0" })}
                />{" "}
                Album art
              </label>
            ) : null}
            {def.tz ? <p class="muted small">Days and hours in {browserTimeZone()}</p> : null}
          </form>
        </Panel>
        <Panel title="Preview">
          <div class={`card-preview card-preview-${c.theme}`}>
            <img
              key={url}
              src={url}
              alt={`Preview: ${def.alt}`}
              data-state={previewState}
              onLoad={() => setPreview({ url, state: "loaded" })}
              onError={() => setPreview({ url, state: "failed" })}
            />
          </div>
          <p class="muted small" role="status" aria-live="polite">
            {previewState === "loading"
              ? "Loading the preview…"
              : previewState === "failed"
                ? "The card did not load: open its URL to see why."
                : "This is the card as GitHub will show it."}
          </p>
        </Panel>
        <Panel title="Paste this into your README" wide>
          <CopyLine label="Markdown" value={markdown} />
          <p class="muted small">
            Card URL: <a href={url}>{absolute}</a>
          </p>
          {me.role !== "owner" && !me.public ? (
            <div class="notice">
              <p>
                Your cards are private: you see them because you are signed in, but GitHub (and everyone else)
                gets a 404 until you make them public.
              </p>
              <button type="button" class="primary" onClick={makePublic} disabled={publishing !== null}>
                Make my cards public
              </button>
              {publishing ? (
                <p class="muted small" role="status">
                  {publishing}
                </p>
              ) : null}
            </div>
          ) : null}
        </Panel>
      </div>
    </section>
  );
}
