import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Me } from "./types.ts";

/** Who is signed in (GET /me), for every page: the owner sees the admin page, members do not. */
export interface Session {
  me: Me;
  /** Reads /me again (after linking Spotify, say). */
  refresh: () => void;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside a signed-in page");
  return session;
}
