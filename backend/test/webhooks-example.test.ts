import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { repoRoot } from '../src/paths.js';
import { sleep, tempDir, useServer, waitFor } from './support.js';
import { freePort } from './webhook-receiver.js';

/**
 * The example receiver of docs/webhooks.md, run as it is printed: taken from the page, started
 * with node, registered for `message.unread`, and its SMS provider call pointed at a provider
 * stand-in here. A message left unread past the endpoint's minutes becomes one SMS, also when the
 * provider fails once (the receiver answers 500 and Parley retries); a forged delivery is refused.
 */
let clockOffsetMs = 0;
const server = useServer({
  config: {
    webhooks: { ...loadConfig({}).webhooks, allowPrivate: true, checkMs: 100, settleMs: 300, retryBaseMs: 300 },
  },
  sites: [{ id: 'sms', settings: { strangersMayMessage: true } }],
  clock: () => new Date(Date.now() + clockOffsetMs),
});

const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

function exampleReceiver(): string {
  const page = readFileSync(join(repoRoot, 'docs', 'webhooks.md'), 'utf8');
  const after = page.slice(page.indexOf('<!-- receiver example'));
  const code = /```js\n([\s\S]*?)```/.exec(after)?.[1];
  if (!code) throw new Error('docs/webhooks.md has no receiver example');
  return code;
}

describe('the example receiver in docs/webhooks.md', () => {
  it('verifies signatures and sends one SMS for a message left unread, retried when the provider failed', async () => {
    // The SMS provider stand-in: fails the first request, then accepts.
    const sms: { to: string; text: string }[] = [];
    const provider = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        sms.push(JSON.parse(raw) as { to: string; text: string });
        res.writeHead(sms.length === 1 ? 503 : 200).end();
      });
    });
    await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => provider.close());

    const port = await freePort();
    const { endpoint, secret } = await server.app.webhooks.create('sms', {
      url: `http://127.0.0.1:${port}/parley`,
      events: ['message.unread'],
      unreadMinutes: 5,
    });
    const dir = tempDir();
    writeFileSync(join(dir, 'receiver.mjs'), exampleReceiver());
    const receiver = spawn(process.execPath, [join(dir, 'receiver.mjs')], {
      env: {
        ...process.env,
        PORT: String(port),
        PARLEY_WEBHOOK_SECRET: secret,
        SMS_API_URL: `http://127.0.0.1:${(provider.address() as AddressInfo).port}/messages`,
        PHONE_BOOK: JSON.stringify({ sal: '+15550100' }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    receiver.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    receiver.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    cleanups.push(() => receiver.kill());
    await waitFor(() => output.includes('listening'), 10_000, 'the example receiver to listen');

    // A delivery signed with another secret is refused.
    const forged = await fetch(`http://127.0.0.1:${port}/parley`, {
      method: 'POST',
      headers: { 'parley-signature': `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}` },
      body: JSON.stringify({ id: 'x', type: 'message.unread', data: {} }),
    });
    expect(forged.status).toBe(400);

    const ben = await server.user('ben', { site: 'sms' });
    const sal = await server.user('sal', { site: 'sms', buddies: ['ben'] });
    const tab = await ben.connect();
    await tab.send(sal.id, 'Are you   coming tonight?');
    await sleep(600);
    expect(sms).toHaveLength(0); // five minutes have not passed
    clockOffsetMs = 6 * 60_000;
    try {
      await waitFor(() => sms.length >= 2, 15_000, 'the SMS, sent again after the provider failed');
      await sleep(1500);
      expect(sms).toEqual([
        { to: '+15550100', text: 'Ben: Are you coming tonight?' },
        { to: '+15550100', text: 'Ben: Are you coming tonight?' },
      ]);
      const [status] = await server.app.webhooks.list('sms');
      expect(status).toMatchObject({ id: endpoint.id, lastStatus: 200, failures: 0, pending: 0 });
      expect(output).toContain('SMS provider answered 503');
    } finally {
      clockOffsetMs = 0;
    }
  });
});
