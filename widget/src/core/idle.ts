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
export class IdleWatcher {
  private last = Date.now();
  private shared = 0;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly key: string,
    private readonly afterMs: number,
    private readonly on: { active: () => void; idle: () => void },
  ) {}

  start(): void {
    if (this.timer !== undefined || !(this.afterMs > 0)) return;
    for (const type of ACTIVITY) window.addEventListener(type, this.seen, { capture: true, passive: true });
    document.addEventListener('visibilitychange', this.seen);
    this.seen();
    this.timer = setInterval(this.check, Math.min(30_000, Math.max(250, this.afterMs / 4)));
  }

  stop(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    for (const type of ACTIVITY) window.removeEventListener(type, this.seen, { capture: true });
    document.removeEventListener('visibilitychange', this.seen);
  }

  private readonly seen = (event?: Event): void => {
    if (document.visibilityState === 'hidden') return;
    const now = Date.now();
    if (event?.type === 'pointermove' && now - this.last < 1000) return;
    this.last = now;
    if (now - this.shared >= SHARE_EVERY_MS) {
      this.shared = now;
      storage.set(this.key, String(now));
    }
    this.on.active();
  };

  private readonly check = (): void => {
    const elsewhere = Number(storage.get(this.key)) || 0;
    if (Date.now() - Math.max(this.last, elsewhere) >= this.afterMs) this.on.idle();
  };
}
