import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { PrismaStore } from '../src/store/prisma-store.js';
import { runCrashScenario } from './crash-scenario.js';
import { usePostgres } from './services.js';
import { startServer, tempDir } from './support.js';

/**
 * Crash safety, short version (the long one is `npm run bench:crash`): 50 clients send
 * continuously; the server process is killed with SIGKILL mid-traffic and restarted on the
 * same SQLite file. Every acknowledged message reaches its recipient exactly once and in order,
 * and what was not acknowledged is resent and stored once.
 */
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// SQLite's durability settings and a SIGKILL on its file. On PostgreSQL the same guarantee is shown
// by restart.test.ts and the SIGKILL test of test/cluster/cluster.test.ts.
describe.skipIf(usePostgres)('crash safety (SQLite)', () => {
  it('runs SQLite in WAL mode with synchronous=FULL (see docs/architecture.md, Durability)', async () => {
    const server = await startServer();
    try {
      const durability = await (server.app.store as PrismaStore).sqliteDurability();
      expect(durability).toEqual({ journalMode: 'wal', synchronous: 2 });
    } finally {
      await server.close();
    }
  });

  it('keeps every acknowledged message across a SIGKILL during traffic from 50 clients, once and in order', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const report = await runCrashScenario({ clients: 50, kills: 1, acksPerRound: 400, inFlight: 2, dir });
    expect(report.violations).toEqual([]);
    expect(report.recoveryMs).toHaveLength(1);
    // Traffic really was cut mid-flight: messages were sent again after the restarts.
    expect(report.resends).toBeGreaterThan(0);
    expect(report.delivered).toBe(report.messages);
    expect(report.messages).toBeGreaterThanOrEqual(400);
    console.log(
      `crash test: ${report.messages} messages, ${report.resends} resends (${report.duplicateAcks} already stored), ` +
        `recovery ${report.recoveryMs.join('/')} ms, ${report.durationMs} ms in all`,
    );
  }, 240_000);
});
