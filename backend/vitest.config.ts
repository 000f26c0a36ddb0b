import { defineConfig } from 'vitest/config';

// Integration tests start real servers on random ports; each file gets its own database. The same
// files run twice: on SQLite with everything in memory (`integration`), and on PostgreSQL in
// cluster mode with Redis (`postgres`). `cluster` starts several node processes. The last two need
// the services: run them through `npm run test:postgres` / `test:cluster` (scripts/with-services.mjs).
// Two files at a time (each has its own database, Redis prefix and ports): on the project's
// 2-core machine each project then takes 4.8 minutes instead of 6.5. `isolate: false`: a worker
// keeps its modules from one file to the next, so the server's module graph (Fastify, Prisma,
// Socket.IO, the AWS SDK, sharp…) loads once per worker instead of once per file. That load was a
// third of the projects' worker time (vitest's "import": 124 s of 400); without it the integration
// project took 161 s instead of 275 s, the postgres one 176 s instead of 274 s. It holds because
// no test file changes shared state: each starts its own server, database and ports, and none
// mocks modules, stubs globals or edits process.env (a file that needs to must set `isolate: true`
// for itself, in a project of its own).
const integration = {
  include: ['test/*.test.ts'],
  testTimeout: 60_000,
  hookTimeout: 60_000,
  fileParallelism: true,
  maxWorkers: 2,
  isolate: false,
};

export default defineConfig({
  test: {
    projects: [
      {
        test: { name: 'unit', include: ['src/**/*.test.ts'] },
      },
      {
        test: { name: 'integration', ...integration },
      },
      {
        test: { name: 'postgres', ...integration, env: { PARLEY_TEST_DB: 'postgres', PARLEY_TEST_REDIS: '1' } },
      },
      {
        test: {
          name: 'cluster',
          include: ['test/cluster/*.test.ts'],
          env: { PARLEY_TEST_DB: 'postgres' },
          testTimeout: 180_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
