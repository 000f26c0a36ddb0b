/**
 * localStorage that never throws: storage can be full, disabled or blocked in a third-party
 * iframe, and the widget must keep working (it only forgets more) in every case.
 */
export const storage = {
  get(key: string): string | null {
    try {
      return window.localStorage.getItem(key);
    } catch {
      return null;
    }
  },
  set(key: string, value: string): void {
    try {
      window.localStorage.setItem(key, value);
    } catch {
      // Full or unavailable: the value lives for this page only, which is the best we can do.
    }
  },
  remove(key: string): void {
    try {
      window.localStorage.removeItem(key);
    } catch {
      // As above.
    }
  },
};
