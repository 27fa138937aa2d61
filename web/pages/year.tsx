import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { api, errorText } from "../api.ts";
import { hrefOf, Link, type PageProps } from "../router.tsx";
import { useSession } from "../session.tsx";
import type { Me, YearInReview } from "../types.ts";
import { CopyLine } from "../ui/copy.tsx";
import { browserTimeZone, formatCount, formatDate, formatDuration } from "../ui/format.ts";
import { Async, Panel } from "../ui/states.tsx";
import { TopList } from "../ui/top-list.tsx";
import { useApi } from "../ui/use-api.ts";
import { cardPath } from "./cards.tsx";

/**
 * Year in review (GET /stats/year) for any year, this one so far by default, in the browser's
 * zone: the headline numbers, the top fives, the months, the discoveries, and the share card
 * (opt-in: PATCH /me year_card) with its preview and the line to paste.
 */

const monthName = (ym: string) =>
  new Intl.DateTimeFormat(undefined, { month: "long" }).format(
    new Date(Number(ym.slice(0, 4)), Number(ym.slice(5, 7)) - 1, 1),
  );

function Stat({ name, label, children }: { name: string; label: string; children: ComponentChildren }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd data-stat={name}>{children}</dd>
    </div>
  );
}

export function YearPage({ route }: PageProps) {
  const thisYear = new Date().getFullYear();
  const asked = Number(route.param);
  const year = Number.isInteger(asked) && asked >= 2008 && asked <= thisYear ? asked : thisYear;
  const query = { year, tz: browserTimeZone() };
  const state = useApi(`year ${year} ${query.tz}`, () => api.get<YearInReview>("/stats/year", query));
  return (
    <section>
      <h1>Year in review: {year}</h1>
      <nav class="tabs" aria-label="Years">
        {[year - 1, year, year + 1]
          .filter((y) => y >= 2008 && y <= thisYear)
          .map((y) => (
            <Link key={y} href={hrefOf("year", String(y))} aria-current={y === year ? "page" : undefined}>
              {y === thisYear ? `${y} so far` : String(y)}
            </Link>
          ))}
      </nav>
      <Async state={state}>{(r) => <YearBody r={r} />}</Async>
    </section>
  );
}

function YearBody({ r }: { r: YearInReview }) {
  const maxMonth = Math.max(1, ...r.months.map((m) => m.minutes));
  return (
    <div class="grid">
      <Panel title={r.so_far ? "So far" : "The year"} wide>
        <dl class="stats">
          <Stat name="minutes" label="Minutes listened">
            {formatCount(r.minutes)}
          </Stat>
          <Stat name="plays" label="Plays">
            {formatCount(r.plays)}
          </Stat>
          <Stat name="tracks" label="Tracks">
            {formatCount(r.distinct_tracks)}
          </Stat>
          <Stat name="artists" label="Artists">
            {formatCount(r.distinct_artists)}
          </Stat>
          <Stat name="new-artists" label="New artists">
            {formatCount(r.new_artists.count)}
          </Stat>
          <Stat name="streak" label="Longest streak">
            {r.longest_streak ? `${r.longest_streak.days} days` : "–"}
          </Stat>
          <Stat name="top-month" label="Month you listened most">
            {r.top_month ? monthName(r.top_month.month) : "–"}
          </Stat>
        </dl>
        {r.longest_streak ? (
          <p class="muted small">
            Longest streak: {formatDate(r.longest_streak.from)} to {formatDate(r.longest_streak.to)}.
          </p>
        ) : null}
        {r.most_repeated_day ? (
          <p data-part="repeated-day">
            Most repeated day: {formatDate(r.most_repeated_day.date)}, when you played{" "}
            <Link href={hrefOf("tracks", r.most_repeated_day.track.track_id)}>
              {r.most_repeated_day.track.name ?? "a track"}
            </Link>{" "}
            {r.most_repeated_day.plays} times.
          </p>
        ) : null}
      </Panel>
      <Panel title="Top tracks">
        <TopList
          by="plays"
          label="Top tracks of the year"
          rows={r.top.tracks.map((t) => ({
            key: t.track_id,
            name: t.name ?? "Unknown track",
            detail: t.artists.join(", "),
            href: hrefOf("tracks", t.track_id),
            image: t.image_url,
            plays: t.plays,
            listened_ms: t.listened_ms,
          }))}
        />
      </Panel>
      <Panel title="Top artists">
        <TopList
          by="plays"
          label="Top artists of the year"
          rows={r.top.artists.map((a) => ({
            key: a.artist_id,
            name: a.name ?? "Unknown artist",
            href: hrefOf("artists", a.artist_id),
            image: a.image_url,
            plays: a.plays,
            listened_ms: a.listened_ms,
          }))}
        />
      </Panel>
      <Panel title="Top albums">
        <TopList
          by="plays"
          label="Top albums of the year"
          rows={r.top.albums.map((a) => ({
            key: a.album_id,
            name: a.name ?? "Unknown album",
            image: a.image_url,
            plays: a.plays,
            listened_ms: a.listened_ms,
          }))}
        />
      </Panel>
      <Panel title="Top genres">
        <TopList
          by="plays"
          label="Top genres of the year"
          rows={r.top.genres.map((g) => ({
            key: g.genre,
            name: g.genre,
            detail: `${g.artists} artists`,
            plays: g.plays,
            listened_ms: g.listened_ms,
          }))}
        />
      </Panel>
      <Panel title="Month by month">
        <ol class="months" aria-label="Minutes listened per month">
          {r.months.map((m) => (
            <li key={m.month} class="month-row">
              <span>{monthName(m.month)}</span>
              <meter min={0} max={maxMonth} value={m.minutes} aria-hidden="true" />
              <span class="top-value">{formatDuration(m.listened_ms)}</span>
            </li>
          ))}
        </ol>
      </Panel>
      <Panel title="New artists">
        {r.new_artists.items.length === 0 ? (
          <p class="muted">No artist heard for the first time this year.</p>
        ) : (
          <TopList
            by="plays"
            label="Artists discovered this year"
            rows={r.new_artists.items.map((n) => ({
              key: n.artist.artist_id,
              name: n.artist.name ?? "Unknown artist",
              detail: n.first_listened_at ? `first heard ${formatDate(n.first_listened_at)}` : undefined,
              href: hrefOf("artists", n.artist.artist_id),
              image: n.artist.image_url,
              plays: n.plays,
              listened_ms: n.listened_ms,
            }))}
          />
        )}
      </Panel>
      <ShareCard year={r.year} />
    </div>
  );
}

/** The opt-in share card: off by default; on, its preview and the line to paste. */
function ShareCard({ year }: { year: number }) {
  const { me, refresh } = useSession();
  const [status, setStatus] = useState("");
  const shared = me.year_card && (me.role === "owner" || me.public);
  const toggle = async (on: boolean) => {
    setStatus("Saving…");
    try {
      // A member's /u/ cards answer only while public: sharing the year card makes them public too.
      const patch = on && me.role !== "owner" ? { year_card: true, public: true } : { year_card: on };
      await api.patch<Me>("/me", patch);
      setStatus("");
      refresh();
    } catch (err) {
      setStatus(errorText(err));
    }
  };
  const path = `${cardPath(me, "year").replace(/\.svg$/, "")}/${year}.svg?tz=${encodeURIComponent(browserTimeZone())}`;
  const absolute = `${location.origin}${path}`;
  return (
    <Panel title="Share card" wide>
      <p>
        An image of your year at its own public address, for a README or a post. Off until you turn it on
        {me.role === "owner" ? "." : "; turning it on makes your other cards public too."}
      </p>
      <label class="share-toggle">
        <input type="checkbox" checked={shared} onChange={(e) => toggle(e.currentTarget.checked)} /> Share my
        year card
      </label>{" "}
      <span class="muted small" role="status" aria-live="polite">
        {status}
      </span>
      {shared ? (
        <>
          <div class="card-preview card-preview-light">
            <img key={path} src={path} alt={`My ${year} in music`} />
          </div>
          <CopyLine label="Markdown" value={`![My ${year} in music](${absolute})`} />
        </>
      ) : null}
    </Panel>
  );
}
