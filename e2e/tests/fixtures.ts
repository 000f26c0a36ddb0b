import { test as base, type Browser, type Page } from '@playwright/test';
import { openDemo, signIn } from './widget.js';

type ContextOptions = Parameters<Browser['newContext']>[0];

export interface ParleyFixtures {
  /** A page in a new browser profile (its own storage, so its own visitor); closed after the test. */
  openPage: (options?: ContextOptions) => Promise<Page>;
  /** The demo page in a new browser profile with `user` signed in; closed after the test, so nobody stays online. */
  signedIn: (user: string) => Promise<Page>;
}

export const test = base.extend<ParleyFixtures>({
  openPage: async ({ browser }, use) => {
    const contexts: Awaited<ReturnType<Browser['newContext']>>[] = [];
    await use(async (options = {}) => {
      const context = await browser.newContext(options);
      contexts.push(context);
      return context.newPage();
    });
    for (const context of contexts) await context.close();
  },
  signedIn: async ({ openPage }, use) => {
    await use(async (user) => {
      const page = await openPage();
      await openDemo(page);
      await signIn(page, user);
      return page;
    });
  },
});

export { expect } from '@playwright/test';
