import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS } from './chromium.js';

/**
 * E2E tests drive the built widget in real Chromium (Debian's, see ensure-chromium.mjs) against the
 * real server, which global-setup.ts starts on a random port with a fresh SQLite file.
 */
export default defineConfig({
  testDir: './tests',
  globalSetup: './global-setup.ts',
  fullyParallel: false,
  workers: 1,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? [['list']] : [['list']],
  use: {
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
    },
    trace: 'retain-on-failure',
  },
});
