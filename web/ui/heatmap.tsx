import { formatDuration, WEEKDAYS } from "./format.ts";

/**
 * The listening clock as a weekday × hour heat map: a table (so screen readers read it as one)
 * whose cells are shaded through a class (no inline style: the CSP allows none), each cell's
 * value in its title and its hidden text.
 */

/** Shades 0 (nothing) to 5 (the busiest hour): the stylesheet colours `.heat-0`…`.heat-5`. */
const shade = (v: number, max: number) => (v <= 0 || max <= 0 ? 0 : Math.min(5, Math.ceil((v / max) * 5)));

export function ClockHeatmap({
  values,
  unit,
}: {
  /** [weekday, Monday first][hour 0–23]. */
  values: number[][];
  unit: "plays" | "time";
}) {
  const max = Math.max(0, ...values.flat());
  const describe = (v: number) => (unit === "plays" ? `${v} plays` : formatDuration(v));
  const hours = Array.from({ length: 24 }, (_, h) => h);
  return (
    <div class="heatmap">
      <table>
        <caption class="visually-hidden">Listening by weekday and hour ({unit})</caption>
        <thead>
          <tr>
            <td class="heat-day" />
            {hours.map((h) => (
              <th scope="col" key={h} class="heat-hour">
                {h % 3 === 0 ? h : <span class="visually-hidden">{h}</span>}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {WEEKDAYS.map((day, d) => (
            <tr key={day}>
              <th scope="row" class="heat-day">
                {day}
              </th>
              {hours.map((h) => {
                const v = values[d]?.[h] ?? 0;
                return (
                  <td
                    key={h}
                    class={`heat-cell heat-${shade(v, max)}`}
                    title={`${day} ${h}:00 – ${describe(v)}`}
                  >
                    <span class="visually-hidden">{describe(v)}</span>
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
