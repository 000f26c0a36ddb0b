import { storage } from './storage.js';

/** Input that shows someone is at the page. (Moves are counted too, at most once a second.) */
const ACTIVITY = ['pointerdown', 'pointermove', 'keydown', 'wheel', 'touchstart', 'focus'] as const;
/** How often this tab writes its last activity for the other tabs: often enough, not on every move. */
const SHARE_EVERY_MS = 10_000;

/**
 * Watches whether the visitor is at the page, across every tab of this site in this browser: a
 * tab is idle when nobody used it for `afterMs` (a hidden tab gets no input, so it goes idle too),
 * and the visitor is idle when every tab is. Tabs share their last activity through localStorage
 * under `key`. Calls `active()` on input (throttled) and `idle()` when the last activity anywhere
 * is older than `afterMs`; the caller compares with what the server believes and tells it.
 */
export function createIdleWatcher(key: string, afterMs: number, on: { active: () => void; idle: () => void }) {
  let last = Date.now();
  let shared = 0;
  let timer: ReturnType<typeof setInterval> | undefined;

  const seen = (event?: Event): void => {
    if (document.visibilityState === 'hidden') return;
    const now = Date.now();
    if (event?.type === 'pointermove' && now - last < 1000) return;
    last = now;
    if (now - shared >= SHARE_EVERY_MS) {
      shared = now;
      storage.set(key, String(now));
    }
    on.active();
  };
  const check = (): void => {
    const elsewhere = Number(storage.get(key)) || 0;
    if (Date.now() - Math.max(last, elsewhere) >= afterMs) on.idle();
  };

  return {
    start(): void {
      if (timer !== undefined || !(afterMs > 0)) return;
      for (const type of ACTIVITY) window.addEventListener(type, seen, { capture: true, passive: true });
      document.addEventListener('visibilitychange', seen);
      seen();
      timer = setInterval(check, Math.min(30_000, Math.max(250, afterMs / 4)));
    },
    stop(): void {
      if (timer === undefined) return;
      clearInterval(timer);
      timer = undefined;
      for (const type of ACTIVITY) window.removeEventListener(type, seen, { capture: true });
      document.removeEventListener('visibilitychange', seen);
    },
  };
}
