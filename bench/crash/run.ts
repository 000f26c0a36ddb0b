/**
 * `npm run bench:crash`: the long crash test. 50 clients send continuously while the server
 * process is killed with SIGKILL and restarted, ten times by default; every acknowledged message
 * must reach its recipient exactly once and in order, and every unacknowledged one must be resent
 * and stored once. Prints the figures and exits non-zero on any violation.
 *
 * Settings (environment): CRASH_CLIENTS (50), CRASH_KILLS (10), CRASH_ACKS_PER_ROUND (2000: new
 * acknowledgements between kills), CRASH_IN_FLIGHT (2: unacknowledged messages per client).
 */
import { rmSync } from 'node:fs';
import { runCrashScenario, tempDir } from '@parley/backend/testing';

function setting(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

const options = {
  clients: setting('CRASH_CLIENTS', 50),
  kills: setting('CRASH_KILLS', 10),
  acksPerRound: setting('CRASH_ACKS_PER_ROUND', 2000),
  inFlight: setting('CRASH_IN_FLIGHT', 2),
};
const dir = tempDir();
const started = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`);
log(
  `crash bench: ${options.clients} clients, ${options.kills} SIGKILLs, ${options.acksPerRound} acks between kills, ` +
    `${options.inFlight} in flight per client`,
);

try {
  const report = await runCrashScenario({ ...options, dir, log });
  const recovery = [...report.recoveryMs].sort((a, b) => a - b);
  const rows: [string, string | number][] = [
    ['clients', report.clients],
    ['SIGKILLs', report.kills],
    ['messages written', report.messages],
    ['acknowledged at each kill (cumulative)', report.ackedAtKill.join(', ')],
    ['message:send emissions', report.sends],
    ['resends after a kill', report.resends],
    ['resends already stored (ack lost)', report.duplicateAcks],
    ['messages delivered (applied by recipients)', report.delivered],
    ['duplicates delivered', report.delivered - report.messages],
    [
      'recovery ms (restart to all signed in) min/median/max',
      `${recovery[0]}/${recovery[recovery.length >> 1]}/${recovery.at(-1)}`,
    ],
    ['acknowledged messages per second of traffic', report.ackRate],
    ['duration s', (report.durationMs / 1000).toFixed(1)],
    ['violations', report.violations.length],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
  for (const v of report.violations) console.log(`VIOLATION: ${v}`);
  console.log(JSON.stringify({ bench: 'crash', ...options, ...report }));
  process.exitCode = report.violations.length === 0 ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
