import { afterEach, describe, expect, it } from 'vitest';
import { Parley } from './npm-package.js';
import { claimPage, pageWidget, releasePage } from './page-widget.js';
import type { ParleyApi } from './settings.js';

/** The page slot is global: each test starts with none and leaves none. */
afterEach(() => {
  const api = pageWidget();
  if (api) releasePage(api);
});

describe('the npm package: one widget per page', () => {
  it('forwards every call, in order, to the host API that already owns the page (parley.js or another copy)', () => {
    const calls: unknown[][] = [];
    const owner = ((...call: unknown[]) => void calls.push(call)) as ParleyApi;
    claimPage(owner);
    const handler = () => undefined;
    Parley('init', { site: 'shop', server: 'https://chat.example' });
    Parley('on', 'unread', handler);
    Parley('open');
    expect(calls).toEqual([
      ['init', { site: 'shop', server: 'https://chat.example' }],
      ['on', 'unread', handler],
      ['open'],
    ]);
    expect(pageWidget()).toBe(owner);
  });

  it('owns the page itself when nobody does, never as window.Parley, and lets go on shutdown', () => {
    expect(pageWidget()).toBeUndefined();
    Parley('on', 'unread', () => undefined); // kept for init; needs no document
    const own = pageWidget();
    expect(own).toBeTypeOf('function');
    expect((globalThis as { Parley?: unknown }).Parley).toBeUndefined();
    Parley('on', 'ready', () => undefined);
    expect(pageWidget()).toBe(own); // the same API for later calls
    Parley('shutdown');
    expect(pageWidget()).toBeUndefined();
    Parley('on', 'unread', () => undefined);
    expect(pageWidget()).not.toBe(own); // a fresh one after shutdown
  });

  it('releasePage lets go only of the owner', () => {
    const a = (() => undefined) as ParleyApi;
    const b = (() => undefined) as ParleyApi;
    claimPage(a);
    releasePage(b);
    expect(pageWidget()).toBe(a);
    releasePage(a);
    expect(pageWidget()).toBeUndefined();
  });
});
