// The API token of the browser transport (`coffer serve`): taken from `#token=...` on
// load, kept in sessionStorage (this tab only), and the hash stripped from the URL.

const KEY = 'coffer.token';

type Listener = (needed: boolean) => void;
const listeners = new Set<Listener>();

/** The token in a location hash like `#token=abc&x=y`, if any. */
export function tokenFromHash(hash: string): string | null {
  const body = hash.startsWith('#') ? hash.slice(1) : hash;
  for (const pair of body.split('&')) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    if (pair.slice(0, eq) === 'token') {
      const value = decodeURIComponent(pair.slice(eq + 1)).trim();
      return value || null;
    }
  }
  return null;
}

/** Reads `#token=` into sessionStorage and removes it from the address bar. */
export function captureTokenFromLocation(): void {
  const token = tokenFromHash(location.hash);
  if (!token) return;
  setToken(token);
  history.replaceState(history.state, '', location.pathname + location.search);
}

export function getToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string): void {
  try {
    sessionStorage.setItem(KEY, token.trim());
  } catch {
    /* storage unavailable: the token lives until reload */
  }
  for (const l of listeners) l(false);
}

/** Called when there is no token or the server refused it: the token form shows. */
export function requireToken(): void {
  for (const l of listeners) l(true);
}

/** Subscribes to "a token is needed" changes. */
export function onTokenNeeded(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
