import { spawnServer, tempDir } from '@parley/backend/testing';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startFixtureServer } from './fixture-server.js';
import { seed } from './seed.js';

/** Starts one real Parley server for the e2e run; tests find it at PARLEY_URL. */
export default async function globalSetup() {
  const dir = tempDir();
  const server = await spawnServer(dir, { PRESENCE_GRACE_MS: '1500' });
  await seed(join(dir, 'parley.db'));
  const fixtures = await startFixtureServer(server.url);
  process.env.PARLEY_URL = server.url;
  process.env.PARLEY_E2E_DIR = dir;
  process.env.FIXTURES_URL = fixtures.url;
  return async () => {
    fixtures.server.close();
    server.child.kill('SIGTERM');
    await server.exited;
    rmSync(dir, { recursive: true, force: true });
  };
}
