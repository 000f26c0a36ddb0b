/**
 * When the widget tries again after losing the server. Pure: no socket, no timers, so the unit
 * tests and the benchmark's reconnect storm (bench/workers/conn-worker.ts imports this module)
 * use exactly what visitors' browsers do.
 *
 * Exponential backoff with full jitter: the n-th attempt after a loss waits a uniformly random
 * time in [0, min(cap, base · 2^n)]. Full jitter rather than ±50% around the exponential curve
 * (Socket.IO's own backoff): after a crash every widget lost the server at the same instant, and
 * only a delay drawn from the whole window keeps them from arriving in waves when it is back. The
 * cap bounds how long a visitor waits once the server listens again: every widget has tried within
 * `RECONNECT_CAP_MS` of that moment (a third of it on average).
 */

/** The first attempt waits at most this long (a blip costs the visitor half a second at most). */
export const RECONNECT_BASE_MS = 500;
/** No wait is longer than this, however many attempts failed. */
export const RECONNECT_CAP_MS = 5000;
/**
 * A handshake not answered within this long counts as failed and is tried again (Socket.IO's own
 * default). Not shorter: a server busy with a storm still answers the handshakes in its queue, and
 * a client that gave up on one makes it work for nobody and then queues again.
 */
export const CONNECT_TIMEOUT_MS = 20_000;
/**
 * After a refusal from the server (`unavailable`, `rate_limited`, `internal`) the waits are longer:
 * the server is up and said no, so hurrying back only adds to what it is refusing.
 */
export const REFUSED_BASE_MS = 1000;
export const REFUSED_CAP_MS = 30_000;

/** Handshake refusals that may pass (a node shutting down, a full quota, a fault); others are final. */
export const TRANSIENT_REFUSALS: ReadonlySet<string> = new Set(['internal', 'unavailable', 'rate_limited']);

/** A source of uniform random numbers in [0, 1), as Math.random. */
export type Random = () => number;

/**
 * The wait before attempt `attempt` (0 for the first after a loss): uniform in
 * [0, min(cap, base · 2^attempt)].
 *
 * @example reconnectDelay(0) // somewhere in 0…500 ms
 * @example reconnectDelay(10) // somewhere in 0…5,000 ms
 */
export function reconnectDelay(
  attempt: number,
  random: Random = Math.random,
  base = RECONNECT_BASE_MS,
  cap = RECONNECT_CAP_MS,
): number {
  // Anything odd (NaN, Infinity) counts as many failures: the cap.
  const n = Number.isFinite(attempt) ? Math.min(Math.max(0, Math.floor(attempt)), 30) : 30;
  const ceiling = Math.min(cap, base * 2 ** n);
  return Math.floor(random() * ceiling);
}

/** The wait before trying again after the server refused the handshake `refusals` times in a row (1 and up). */
export function refusedDelay(refusals: number, random: Random = Math.random): number {
  return reconnectDelay(Math.max(0, refusals - 1), random, REFUSED_BASE_MS, REFUSED_CAP_MS);
}

/** The longest wait a `server:shutdown` hint may ask for; a larger (or broken) one is cut to this. */
export const SHUTDOWN_HINT_MAX_MS = 60_000;

/**
 * The wait after `server:shutdown` (a graceful restart): the server's own suggestion for this
 * connection (`reconnectAfterMs`, the server spreads its clients over the window itself), or else
 * a uniformly random time within `reconnectWithinMs`. Bounded, so a wrong hint cannot strand a
 * visitor.
 */
export function shutdownDelay(
  hint: { reconnectWithinMs: number; reconnectAfterMs?: number },
  random: Random = Math.random,
): number {
  const bound = (ms: unknown) =>
    typeof ms === 'number' && Number.isFinite(ms) ? Math.min(Math.max(0, ms), SHUTDOWN_HINT_MAX_MS) : 0;
  if (hint.reconnectAfterMs !== undefined) return Math.floor(bound(hint.reconnectAfterMs));
  return Math.floor(random() * bound(hint.reconnectWithinMs));
}
