import { useCallback, useEffect, useRef, useState } from "preact/hooks";

/**
 * Data for a component: runs `load` when `key` changes (a URL, say) and keeps the latest
 * answer; an answer to an older key never overwrites a newer one.
 */
export function useApi<T>(key: string | null, load: () => Promise<T>) {
  const [state, setState] = useState<{ key: string | null; data: T | undefined; error: unknown }>({
    key: null,
    data: undefined,
    error: undefined,
  });
  const [nonce, setNonce] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    if (key === null) return;
    let live = true;
    loadRef.current().then(
      (data) => live && setState({ key, data, error: undefined }),
      (error: unknown) => live && setState({ key, data: undefined, error }),
    );
    return () => {
      live = false;
    };
  }, [key, nonce]);
  const reload = useCallback(() => setNonce((n) => n + 1), []);
  const current = state.key === key;
  return {
    // The previous key's data stays on screen while the next loads (no flicker on a range change).
    data: state.data,
    error: current ? state.error : undefined,
    loading: !current,
    reload,
  };
}
