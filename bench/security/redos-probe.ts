// `npm run bench:security`: issue 12's finding 1 measured from outside. Starts the real server
// (`backend/src/main.ts`, as `npm start` does) on a fresh SQLite file, signs in as the demo user
// alice, sends 20 `profile:update` payloads with the e-mail that once froze the node (`a@` followed
// by 60,000 dots and a space) back to back, and polls `/healthz` every 10 ms meanwhile. Prints
// every answer's code, the /healthz latency (median, p99, worst) and fails above 100 ms worst.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROTOCOL_VERSION } from '@parley/backend/protocol';
import { io } from 'socket.io-client';
import { startParley } from '../lib/servers.ts';
import { freePort, log, sleep } from '../lib/util.ts';

const PAYLOADS = Number(process.env.PAYLOADS ?? 20);
const LIMIT_MS = 100;

const dir = mkdtempSync(join(tmpdir(), 'parley-redos-'));
const port = await freePort();
const server = await startParley({ port, dbPath: join(dir, 'parley.db') });
try {
  const signIn = await fetch(`${server.url}/api/v1/sites/demo/sessions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'alice', password: 'alice-demo' }),
  });
  const { data } = (await signIn.json()) as { data: { token: string } };
  const socket = io(server.url, {
    auth: { v: PROTOCOL_VERSION, site: 'demo', token: data.token },
    transports: ['websocket'],
    extraHeaders: { origin: server.url },
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('session:ready', () => resolve());
    socket.once('connect_error', reject);
  });

  const latencies: number[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const started = performance.now();
      const res = await fetch(`${server.url}/healthz`);
      await res.arrayBuffer();
      latencies.push(performance.now() - started);
      await sleep(10);
    }
  })();
  await sleep(200); // a baseline before the attack
  const email = 'a@' + '.'.repeat(60_000) + ' ';
  const codes = await Promise.all(
    Array.from(
      { length: PAYLOADS },
      () =>
        new Promise<string>((resolve) =>
          socket.emit('profile:update', { email }, (r: { ok: boolean; error?: { code: string } }) =>
            resolve(r.ok ? 'ok' : r.error!.code),
          ),
        ),
    ),
  );
  await sleep(300);
  polling = false;
  await poller;
  socket.close();

  const sorted = [...latencies].sort((a, b) => a - b);
  const pick = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  const counts = Object.entries(
    codes.reduce<Record<string, number>>((acc, c) => ({ ...acc, [c]: (acc[c] ?? 0) + 1 }), {}),
  );
  log(`${PAYLOADS} payloads answered: ${counts.map(([c, n]) => `${n}× ${c}`).join(', ')}`);
  log(
    `/healthz during the attack: ${latencies.length} polls, median ${pick(0.5).toFixed(1)} ms, ` +
      `p99 ${pick(0.99).toFixed(1)} ms, worst ${sorted.at(-1)!.toFixed(1)} ms (limit ${LIMIT_MS} ms)`,
  );
  if (sorted.at(-1)! > LIMIT_MS || codes.some((c) => c !== 'bad_request')) process.exitCode = 1;
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
