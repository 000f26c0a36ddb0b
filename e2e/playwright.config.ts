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
    // A failed test keeps its trace (actions, DOM snapshots, network, console) and a screenshot of
    // the end. The trace's screencast is off: encoding frames of every page for every test cost
    // 10–30% of a spec's time here (rooms + message-changes: 44 s without it, 48–58 s with it).
    trace: { mode: 'retain-on-failure', screenshots: false },
    screenshot: 'only-on-failure',
  },
});
