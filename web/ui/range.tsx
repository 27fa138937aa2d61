import { useState } from "preact/hooks";
import type { StatsRange } from "../types.ts";
import { browserTimeZone, localDate } from "./format.ts";

/**
 * The period picker of the statistics pages: the API's named ranges or a custom pair of local
 * dates, always asked in the browser's time zone. The choice lives in the page's query string
 * (`range=4w`, or `from=…&to=…`) so a reload or a shared link keeps it.
 */

/** Every named range the API knows (a Record, so a range added there is a type error here). */
export const RANGE_LABELS: Record<StatsRange, string> = {
  "7d": "7 days",
  "4w": "4 weeks",
  "6m": "6 months",
  "1y": "1 year",
  all: "All time",
};
const RANGES = Object.keys(RANGE_LABELS) as StatsRange[];

export type RangeValue = { range: StatsRange } | { from: string; to: string };

const isRange = (v: string | null): v is StatsRange => v !== null && Object.hasOwn(RANGE_LABELS, v);
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function rangeFromQuery(query: URLSearchParams, fallback: StatsRange = "4w"): RangeValue {
  const from = query.get("from");
  const to = query.get("to");
  if (from && to && DATE.test(from) && DATE.test(to)) return { from, to };
  const range = query.get("range");
  return { range: isRange(range) ? range : fallback };
}

/** The query the statistics routes take for this period, in the browser's zone. */
export const rangeParams = (value: RangeValue): Record<string, string> => ({
  ...value,
  tz: browserTimeZone(),
});

/** The page query for this period (what `setQuery` writes). */
export const rangeQuery = (value: RangeValue): Record<string, string | null> =>
  "range" in value ? { range: value.range, from: null, to: null } : { range: null, ...value };

export function RangePicker({ value, onChange }: { value: RangeValue; onChange: (v: RangeValue) => void }) {
  const custom = !("range" in value);
  const [from, setFrom] = useState(custom ? value.from : localDate(new Date(Date.now() - 29 * 86_400_000)));
  const [to, setTo] = useState(custom ? value.to : localDate());
  const [showCustom, setShowCustom] = useState(custom);
  return (
    <div class="range-picker">
      <fieldset class="segmented">
        <legend class="visually-hidden">Period</legend>
        {RANGES.map((r) => (
          <button
            type="button"
            key={r}
            aria-pressed={"range" in value && value.range === r}
            onClick={() => {
              setShowCustom(false);
              onChange({ range: r });
            }}
          >
            {RANGE_LABELS[r]}
          </button>
        ))}
        <button type="button" aria-pressed={custom || showCustom} onClick={() => setShowCustom(true)}>
          Custom
        </button>
      </fieldset>
      {showCustom ? (
        <form
          class="custom-range"
          onSubmit={(e) => {
            e.preventDefault();
            if (from && to) onChange({ from, to });
          }}
        >
          <label>
            From{" "}
            <input
              type="date"
              value={from}
              max={to}
              required
              onInput={(e) => setFrom(e.currentTarget.value)}
            />
          </label>
          <label>
            To{" "}
            <input type="date" value={to} min={from} required onInput={(e) => setTo(e.currentTarget.value)} />
          </label>
          <button type="submit">Show</button>
        </form>
      ) : null}
      <p class="muted small">Times in {browserTimeZone()}</p>
    </div>
  );
}
