/** Where the widget keeps the visitor's session token (the `tokenStorage` setting). */
export type TokenStorage = 'local' | 'session' | 'memory';
export const TOKEN_STORAGES: readonly TokenStorage[] = ['local', 'session', 'memory'];

/** The key the session token of `site` is kept under (parley.js reads it to know whether to load the core). */
export const tokenKey = (site: string): string => `parley:${site}:token`;

export interface KeyValueStore {
  get(key: string): string | null;
  set(key: string, value: string): void;
  remove(key: string): void;
}

/** Web storage that never throws (see {@link storage}). */
function webStorage(area: () => Storage): KeyValueStore {
  return {
    get(key) {
      try {
        return area().getItem(key);
      } catch {
        return null;
      }
    },
    set(key, value) {
      try {
        area().setItem(key, value);
      } catch {
        // Full or unavailable: the value lives for this page only, which is the best we can do.
      }
    },
    remove(key) {
      try {
        area().removeItem(key);
      } catch {
        // As above.
      }
    },
  };
}

/**
 * The store for the session token: `local` (default) survives closing the browser and is shared by
 * the site's tabs; `session` lives as long as the tab; `memory` as long as the page, so no other
 * script on the page can read it from storage (a reload signs the visitor out, unless the host
 * signs them in again with an identity token).
 */
export function tokenStore(kind: TokenStorage): KeyValueStore {
  if (kind === 'session') return webStorage(() => window.sessionStorage);
  if (kind === 'memory') {
    const values = new Map<string, string>();
    return {
      get: (key) => values.get(key) ?? null,
      set: (key, value) => void values.set(key, value),
      remove: (key) => void values.delete(key),
    };
  }
  return storage;
}

/**
 * localStorage that never throws: storage can be full, disabled or blocked in a third-party
 * iframe, and the widget must keep working (it only forgets more) in every case.
 */
export const storage: KeyValueStore = webStorage(() => window.localStorage);
