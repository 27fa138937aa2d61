import { useEffect, useState } from "preact/hooks";
import { api, errorText } from "../api.ts";
import { hrefOf, type PageProps } from "../router.tsx";
import type { HealthResponse, SignInResponse } from "../types.ts";

/**
 * Sign in: the owner with the admin password (POST /login sets the session cookie), members with
 * Spotify (GET /login) once Spotify is configured. Then back to the page that asked.
 */
export function SignInPage({ route }: PageProps) {
  const [username, setUsername] = useState("admin");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [spotify, setSpotify] = useState(false);
  useEffect(() => {
    // /health answers 503 while something is degraded: its body still says whether Spotify is set up.
    fetch("/health", { headers: { accept: "application/json" } })
      .then((res) => res.json() as Promise<HealthResponse>)
      .then((h) => setSpotify(h.spotify.configured === true))
      .catch(() => setSpotify(false));
  }, []);
  const next = safeNext(route.query.get("next"));

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.form<SignInResponse>("/login", { username, password });
      // A full load: the app starts again with the new session.
      location.assign(next);
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  };

  return (
    <section class="signin">
      <h1>Sign in</h1>
      <form onSubmit={submit} class="stack">
        <label>
          Username
          <input
            name="username"
            autoComplete="username"
            required
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
          />
        </label>
        <label>
          Password
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        {error ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : null}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
      {spotify ? (
        <p>
          A member of the household? <a href="/login">Sign in with Spotify</a>
        </p>
      ) : null}
    </section>
  );
}

/** Only a path of this site: `next` comes from the URL, and must not send anyone elsewhere. */
function safeNext(next: string | null): string {
  return next?.startsWith("/") && !next.startsWith("//") && !next.startsWith(hrefOf("signin"))
    ? next
    : hrefOf("overview");
}
