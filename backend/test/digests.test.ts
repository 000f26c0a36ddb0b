import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, login, sleep, startServer, TestClient, waitFor, type TestServer } from './support.js';

/**
 * Must show 2: digest e-mails through a real SMTP server (smtp-server) on loopback. The test runs
 * the server's scan itself after waiting out the delay (the timer is set to an hour), so a busy
 * machine cannot split one digest in two.
 */
interface Mail {
  to: string[];
  raw: string;
  /** The decoded text (quoted-printable undone). */
  text: string;
}

/** Undoes quoted-printable: soft line breaks and =XX bytes (UTF-8). */
function decodeQuotedPrintable(body: string): string {
  const joined = body.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined[i] === '=' ? /^[0-9A-F]{2}/.exec(joined.slice(i + 1, i + 3)) : null;
    if (hex) {
      bytes.push(parseInt(hex[0], 16));
      i += 2;
    } else bytes.push(...Buffer.from(joined[i]!, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

const DELAY_MS = 1500;
const mails: Mail[] = [];
let smtp: SMTPServer;
let server: TestServer;
const open: TestClient[] = [];

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => (raw += chunk));
      stream.on('end', () => {
        const cut = raw.search(/\r?\n\r?\n/);
        const body = cut >= 0 ? raw.slice(cut) : '';
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw, text: decodeQuotedPrintable(body) });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  const { port } = smtp.server.address() as AddressInfo;
  server = await startServer({
    config: {
      smtpUrl: `smtp://127.0.0.1:${port}`,
      mailFrom: 'Parley Test <chat@parley.test>',
      digestDelayMs: DELAY_MS,
      digestCheckMs: 3_600_000,
      publicUrl: 'http://parley.test',
    },
  });
});
afterAll(async () => {
  for (const c of open) c.close();
  await server.close();
  await new Promise<void>((resolve) => smtp.close(resolve));
});

async function connect(name: string): Promise<TestClient> {
  const { token } = await login(server.url, name, `${name}-pass`);
  const client = await TestClient.connect(server.url, token);
  open.push(client);
  return client;
}

const mailsTo = (address: string) => mails.filter((m) => m.to.includes(address));

describe('Must show 2: digest e-mails for waiting messages', () => {
  it('one digest for many waiting messages; none when read in time, without an address, or after unsubscribing', async () => {
    const sender = await addUser(server, 'dgs');
    const names = ['dgmany', 'dgread', 'dgunsub', 'dgnomail', 'dgoff'];
    const ids: Record<string, string> = {};
    for (const name of names) ids[name] = (await addUser(server, name, { buddies: ['dgs'] })).id;

    // Addresses through profile:update (dgnomail has none; dgoff turns digests off in the widget).
    let reader: TestClient | undefined;
    for (const name of names) {
      const client = await connect(name);
      const patch =
        name === 'dgnomail'
          ? { emailDigests: true }
          : { email: `${name}@mail.test`, ...(name === 'dgoff' ? { emailDigests: false } : {}) };
      const { settings } = await client.ok('profile:update', patch);
      expect(settings.email).toBe(name === 'dgnomail' ? null : `${name}@mail.test`);
      if (name === 'dgread') reader = client;
      else client.close();
    }

    const from = await connect('dgs');
    const { room } = await from.ok('room:create', { name: 'Digest room', invite: [ids.dgmany!] });
    await server.app.store.setRoomMember(room.id, ids.dgmany!, 'member');
    // All in flight at once, so they are stored well within the delay even on a busy machine.
    const sendTo = async (name: string, count: number) => {
      const acks = await Promise.all(
        Array.from({ length: count }, (_, i) => from.send(ids[name]!, `note ${i + 1} for ${name}`)),
      );
      return acks
        .map((a) => a.message.id)
        .sort()
        .at(-1)!;
    };
    const [, lastForReader] = await Promise.all([
      sendTo('dgmany', 20),
      sendTo('dgread', 5),
      sendTo('dgunsub', 3),
      sendTo('dgnomail', 3),
      sendTo('dgoff', 3),
    ]);
    // Last, so it is the newest and listed first.
    await from.ok('room:send', { roomId: room.id, clientId: 'dg-room-1', body: 'see you at the <b>meeting</b>' });
    // dgread reads at once, long before the delay is up.
    expect(await reader!.ok('receipt:send', { with: sender.id, kind: 'read', upTo: lastForReader })).toEqual({
      advanced: true,
    });

    // Once the delay is up, one scan sends exactly two digests.
    await sleep(DELAY_MS + 100);
    expect(await server.app.digests.scan()).toBe(2);
    expect(await server.app.digests.scan()).toBe(0); // and later scans do not send them again
    await waitFor(() => mails.length >= 2, 10_000, 'the SMTP server to have both');

    const [digest, ...extra] = mailsTo('dgmany@mail.test');
    expect(extra).toHaveLength(0);
    expect(digest!.raw).toMatch(/^Subject: 21 messages waiting for you on Parley demo/m);
    expect(digest!.raw).toMatch(/^From: Parley Test <chat@parley\.test>/m);
    expect(digest!.raw).toMatch(/^List-Unsubscribe:\s+<http:\/\/parley\.test\/unsubscribe\?u=/m);
    expect(digest!.text).toContain('Hello Dgmany,');
    expect(digest!.text).toContain('Dgs in Digest room: see you at the <b>meeting</b>');
    expect(digest!.text).toMatch(/Dgs: note \d+ for dgmany/);
    expect(digest!.text).toContain('… and 11 more.');
    expect(digest!.text).toContain('Read and answer them: http://parley.test/');
    expect(mailsTo('dgunsub@mail.test')).toHaveLength(1);
    expect(mailsTo('dgread@mail.test')).toHaveLength(0);
    expect(mailsTo('dgoff@mail.test')).toHaveLength(0);
    expect(mails.filter((m) => m.to.some((a) => a.startsWith('dgnomail')))).toHaveLength(0);

    // Unsubscribe without signing in: the link from the e-mail shows a button, POST turns digests off.
    const link = /No more of these e-mails: (\S+)/.exec(mailsTo('dgunsub@mail.test')[0]!.text)![1]!;
    expect(link.startsWith('http://parley.test/unsubscribe?')).toBe(true);
    const local = `${server.url}${link.slice('http://parley.test'.length)}`;
    const shown = await fetch(local);
    expect(shown.status).toBe(200);
    expect(await shown.text()).toContain('<form method="post"');
    expect((await server.app.store.getUser(ids.dgunsub!))!.emailDigests).toBe(true); // GET alone changes nothing
    const forged = await fetch(local.replace(/t=[^&]+/, 't=AAAA'), { method: 'POST' });
    expect(forged.status).toBe(404);
    const done = await fetch(local, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(done.status).toBe(200);
    expect((await server.app.store.getUser(ids.dgunsub!))!.emailDigests).toBe(false);

    // New messages for both: the subscribed user gets a second digest, the unsubscribed one none.
    await Promise.all([sendTo('dgunsub', 2), sendTo('dgmany', 2)]);
    await sleep(DELAY_MS + 100);
    expect(await server.app.digests.scan()).toBe(1);
    await waitFor(() => mailsTo('dgmany@mail.test').length === 2, 10_000, 'the second digest');
    expect(mailsTo('dgmany@mail.test')[1]!.raw).toMatch(/^Subject: 2 messages waiting/m);
    expect(mailsTo('dgunsub@mail.test')).toHaveLength(1);
  }, 90_000);

  it('takes the address from the host identity token’s email claim', async () => {
    const site = (await server.app.store.getSite('demo'))!;
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ sub: 'host-user-42', name: 'Host User', email: 'host.user@shop.test' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(new TextEncoder().encode(site.secret));
    const client = await TestClient.connect(server.url, token, { identity: true });
    open.push(client);
    expect(client.ready.settings).toEqual({ email: 'host.user@shop.test', emailDigests: true });
  });
});
