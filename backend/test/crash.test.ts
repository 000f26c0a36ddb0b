import { rmSync, statSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { PrismaStore } from '../src/store/prisma-store.js';
import { runCrashScenario } from './crash-scenario.js';
import { usePostgres } from './services.js';
import { addUser, login, sleep, startServer, tempDir, TestClient, waitFor } from './support.js';

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
      // Checkpoints are the worker's, never the server connection's (wal_autocheckpoint 0).
      expect(durability).toEqual({ journalMode: 'wal', synchronous: 2, walAutocheckpoint: 0 });
    } finally {
      await server.close();
    }
  });

  it('checkpoints the WAL on a worker thread while messages are written, so it does not grow', async () => {
    const server = await startServer();
    try {
      await addUser(server, 'walann');
      const ben = await addUser(server, 'walben', { buddies: ['walann'] });
      const a = await TestClient.connect(server.url, (await login(server.url, 'walann', 'walann-pass')).token);
      const body = 'x'.repeat(2000);
      const walSize = () => statSync(`${server.database.url.replace(/^file:/, '')}-wal`).size;
      let largest = 0;
      // Rounds a little longer apart than the worker's checkpoints (every second): after each
      // one the WAL is checkpointed, and SQLite writes the next round from its start again.
      for (let round = 0; round < 5; round++) {
        await Promise.all(Array.from({ length: 200 }, () => a.send(ben.id, body)));
        largest = Math.max(largest, walSize());
        await sleep(1300);
      }
      a.close();
      const checkpoints = await waitFor(async () => {
        const text = await server.app.metrics.registry.getSingleMetricAsString('parley_sqlite_checkpoints_total');
        const n = Number(/ (\d+)$/m.exec(text)?.[1] ?? 0);
        return n >= 2 ? n : undefined;
      });
      expect(checkpoints).toBeGreaterThanOrEqual(2);
      // 1,000 messages of 2 KB went through: without checkpoints the WAL grew by about 1.25 MB a
      // round, to 6.3 MB; with them each round reused it and it stayed at 1.4 MB. Room for one
      // checkpoint late on a busy machine, not for none.
      expect(largest).toBeLessThan(4_000_000);
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
