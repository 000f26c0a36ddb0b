/**
 * One widget per page, whichever build brought it. parley.js and the npm package (and a second copy
 * of the package, when two bundles on one page each carry one) register the host API that owns the
 * page's widget under a key every copy finds (`Symbol.for`); one that arrives later forwards its
 * commands to that API rather than mounting a second widget or a second `window.Parley`.
 */
import type { ParleyApi } from './settings.js';

const slot = Symbol.for('parley.widget');
const holder = globalThis as unknown as Record<symbol, ParleyApi | undefined>;

/** The host API that owns the page's widget, if one does. */
export const pageWidget = (): ParleyApi | undefined => holder[slot];

export function claimPage(api: ParleyApi): void {
  holder[slot] = api;
}

/** After `shutdown`: the next caller creates a fresh widget. */
export function releasePage(api: ParleyApi): void {
  if (holder[slot] === api) delete holder[slot];
}
