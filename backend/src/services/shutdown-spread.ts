/**
 * How a node that shuts down gracefully spreads the return of its clients (`server:shutdown`).
 *
 * A fixed window does not scale: 20,000 widgets told "within 2 s" arrive at 10,000 handshakes a
 * second, several times what a node admits, and the excess times out and comes back again. So
 * the window grows with the number of clients, at the rate a node is expected to take them back
 * at, and each client is given its own delay: client i of n gets a random time within the i-th of
 * n equal slots of the window (stratified jitter). The arrivals are then as even as a schedule,
 * yet no two deploys send the same client first.
 */

/** Handshakes (with their first sync) a node is counted on to admit per second while clients return. */
export const READMIT_PER_SECOND = 500;
/** The window is never shorter than this (a handful of clients still spread a little)… */
export const MIN_WINDOW_MS = 2000;
/** …nor longer than this: nobody waits more than half a minute for a deploy. */
export const MAX_WINDOW_MS = 30_000;

/** The window `count` clients are spread over. */
export function shutdownWindowMs(count: number): number {
  return Math.round(Math.min(MAX_WINDOW_MS, Math.max(MIN_WINDOW_MS, (count / READMIT_PER_SECOND) * 1000)));
}

/** The delay of client `index` of `count` within `windowMs`: a random point in its own slot. */
export function spreadDelayMs(
  index: number,
  count: number,
  windowMs: number,
  random: () => number = Math.random,
): number {
  const slot = windowMs / Math.max(1, count);
  return Math.min(windowMs, Math.floor((index + random()) * slot));
}
