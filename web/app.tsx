import type { ComponentChildren, FunctionComponent } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { WEB_PAGES, type WebPageId } from "../shared/web/pages.ts";
import { ApiError, api, errorText, onSignedOut } from "./api.ts";
import { AdminPage } from "./pages/admin.tsx";
import { ArtistPage } from "./pages/artist.tsx";
import { CardsPage } from "./pages/cards.tsx";
import { DataPage } from "./pages/data.tsx";
import { HistoryPage } from "./pages/history.tsx";
import { OverviewPage } from "./pages/overview.tsx";
import { SignInPage } from "./pages/signin.tsx";
import { TrackPage } from "./pages/track.tsx";
import { YearPage } from "./pages/year.tsx";
import { hrefOf, Link, navigate, type PageProps, useRoute } from "./router.tsx";
import { SessionContext } from "./session.tsx";
import type { Me } from "./types.ts";
import { Loading } from "./ui/states.tsx";

/** Each page's component: a page listed in shared/web/pages.ts without one here is a type error. */
const PAGES: Record<WebPageId, FunctionComponent<PageProps>> = {
  overview: OverviewPage,
  history: HistoryPage,
  year: YearPage,
  cards: CardsPage,
  data: DataPage,
  admin: AdminPage,
  tracks: TrackPage,
  artists: ArtistPage,
  signin: SignInPage,
};

type SessionState =
  | { kind: "loading" }
  | { kind: "signed-out" }
  | { kind: "in"; me: Me }
  | { kind: "error"; message: string };

/** Where to come back to after signing in. */
const here = () => `${location.pathname}${location.search}`;

export function App() {
  const route = useRoute();
  const [session, setSession] = useState<SessionState>({ kind: "loading" });
  const refresh = useCallback(() => {
    api.get<Me>("/me").then(
      (me) => setSession({ kind: "in", me }),
      (err: unknown) =>
        setSession(
          err instanceof ApiError && err.status === 401
            ? { kind: "signed-out" }
            : { kind: "error", message: errorText(err) },
        ),
    );
  }, []);
  useEffect(refresh, []);
  useEffect(() => onSignedOut(() => setSession({ kind: "signed-out" })), []);

  const page = route?.page;
  const isPublic = page !== undefined && "public" in WEB_PAGES[page];
  // A signed-out visitor of a private page goes to sign in, and comes back afterwards.
  useEffect(() => {
    if (session.kind === "signed-out" && !isPublic) {
      navigate(hrefOf("signin", null, { next: here() }), { replace: true });
    }
  }, [session.kind, isPublic]);
  useEffect(() => {
    document.title = route ? `${WEB_PAGES[route.page].title} · hoardify` : "Not found · hoardify";
  }, [route]);

  const signOut = async () => {
    await api.get("/logout").catch(() => undefined);
    setSession({ kind: "signed-out" });
    navigate(hrefOf("signin"));
  };

  const me = session.kind === "in" ? session.me : null;
  let body: ComponentChildren;
  if (!route) {
    body = (
      <section>
        <h1>No such page</h1>
        <p>
          <Link href={hrefOf("overview")}>Go to the overview</Link>
        </p>
      </section>
    );
  } else if (isPublic) {
    const Page = PAGES[route.page];
    body = <Page route={route} />;
  } else if (session.kind === "error") {
    body = (
      <div class="error" role="alert">
        <p>{session.message}</p>
      </div>
    );
  } else if (me) {
    const Page = PAGES[route.page];
    body = <Page route={route} />;
  } else {
    body = <Loading />;
  }

  return (
    <SessionContext.Provider value={me ? { me, refresh } : null}>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link class="brand" href={hrefOf("overview")}>
          hoardify
        </Link>
        {me ? (
          <nav aria-label="Pages">
            <ul>
              {(Object.entries(WEB_PAGES) as [WebPageId, (typeof WEB_PAGES)[WebPageId]][])
                .filter(([, def]) => def.nav && (!("ownerOnly" in def) || me.role === "owner"))
                .map(([id, def]) => (
                  <li key={id}>
                    <Link href={hrefOf(id)} aria-current={route?.page === id ? "page" : undefined}>
                      {def.title}
                    </Link>
                  </li>
                ))}
            </ul>
          </nav>
        ) : null}
        {me ? (
          <div class="who">
            <span class="muted small">{me.display_name ?? me.handle}</span>
            <button type="button" class="link-button" onClick={signOut}>
              Sign out
            </button>
          </div>
        ) : null}
      </header>
      <main id="main" tabIndex={-1}>
        {body}
      </main>
    </SessionContext.Provider>
  );
}
