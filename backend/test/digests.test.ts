import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, identityToken, login, sleep, startServer, TestClient, waitFor, type TestServer } from './support.js';

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
      confirmMailsPerUserPerHour: 3,
      confirmMailsPerAddressPerDay: 2,
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
const isDigest = (m: Mail) => /^Subject: .*waiting for you/m.test(m.raw);
const digestsTo = (address: string) => mailsTo(address).filter(isDigest);
const confirmationsTo = (address: string) =>
  mailsTo(address).filter((m) => /^Subject: Confirm your e-mail address/m.test(m.raw));

/** The link of the newest confirmation mail to `address`, on the test server (PUBLIC_URL is parley.test). */
async function confirmationLink(address: string, count = 1, on: TestServer = server): Promise<string> {
  await waitFor(() => confirmationsTo(address).length >= count, 10_000, `confirmation mail ${count} to ${address}`);
  const link = /^(http:\/\/parley\.test\/confirm-email\?\S+)$/m.exec(confirmationsTo(address).at(-1)!.text)![1]!;
  return `${on.url}${link.slice('http://parley.test'.length)}`;
}

/** Follows a confirmation link as its owner does: opens it, then presses its button. */
async function confirm(link: string): Promise<Response> {
  const shown = await fetch(link);
  expect(shown.status).toBe(200);
  expect(await shown.text()).toContain('<form method="post"');
  return fetch(link, { method: 'POST' });
}

describe('digest e-mails for waiting messages', () => {
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
      if (name !== 'dgnomail') expect((await confirm(await confirmationLink(`${name}@mail.test`))).status).toBe(200);
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
    await from.send({ kind: 'room', id: room.id }, 'see you at the <b>meeting</b>', 'dg-room-1');
    // dgread reads at once, long before the delay is up.
    expect(
      await reader!.ok('conversation:read', {
        in: { kind: 'direct', id: sender.id },
        kind: 'read',
        upTo: lastForReader,
      }),
    ).toEqual({
      advanced: true,
    });

    // Once the delay is up, one scan sends exactly two digests.
    await sleep(DELAY_MS + 100);
    expect(await server.app.digests.scan()).toBe(2);
    expect(await server.app.digests.scan()).toBe(0); // and later scans do not send them again
    await waitFor(() => mails.filter(isDigest).length >= 2, 10_000, 'the SMTP server to have both');

    const [digest, ...extra] = digestsTo('dgmany@mail.test');
    expect(extra).toHaveLength(0);
    expect(digest!.raw).toMatch(/^Subject: 21 messages waiting for you on Parley demo/m);
    expect(digest!.raw).toMatch(/^From: Parley Test <chat@parley\.test>/m);
    expect(digest!.raw).toMatch(/^List-Unsubscribe:\s+<http:\/\/parley\.test\/unsubscribe\?u=/m);
    expect(digest!.text).toContain('Hello Dgmany,');
    expect(digest!.text).toContain('Dgs in Digest room: see you at the <b>meeting</b>');
    expect(digest!.text).toMatch(/Dgs: note \d+ for dgmany/);
    expect(digest!.text).toContain('… and 11 more.');
    expect(digest!.text).toContain('Read and answer them: http://parley.test/');
    expect(digestsTo('dgunsub@mail.test')).toHaveLength(1);
    expect(digestsTo('dgread@mail.test')).toHaveLength(0);
    expect(digestsTo('dgoff@mail.test')).toHaveLength(0);
    expect(mails.filter((m) => m.to.some((a) => a.startsWith('dgnomail')))).toHaveLength(0);

    // Unsubscribe without signing in: the link from the e-mail shows a button, POST turns digests off.
    const link = /No more of these e-mails: (\S+)/.exec(digestsTo('dgunsub@mail.test')[0]!.text)![1]!;
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
    await waitFor(() => digestsTo('dgmany@mail.test').length === 2, 10_000, 'the second digest');
    expect(digestsTo('dgmany@mail.test')[1]!.raw).toMatch(/^Subject: 2 messages waiting/m);
    expect(digestsTo('dgunsub@mail.test')).toHaveLength(1);
  }, 90_000);

  it('takes the address from the host identity token’s email claim', async () => {
    const site = (await server.app.store.getSite('demo'))!;
    const token = await identityToken(site.secret, {
      sub: 'host-user-42',
      name: 'Host User',
      email: 'host.user@shop.test',
    });
    const client = await TestClient.connect(server.url, token, { identity: true });
    open.push(client);
    // Unconfirmed: the host did not say it checked the address (`email_verified`).
    expect(client.ready.settings).toEqual({ email: 'host.user@shop.test', emailConfirmed: false, emailDigests: true });
    expect(confirmationsTo('host.user@shop.test')).toHaveLength(0); // nobody asked for a mail yet

    // With `email_verified: true` the host vouches for the address: it counts as confirmed.
    const verified = await identityToken(site.secret, {
      sub: 'host-user-43',
      name: 'Host User',
      email: 'checked@shop.test',
      email_verified: true,
    });
    const checked = await TestClient.connect(server.url, verified, { identity: true });
    open.push(checked);
    expect(checked.ready.settings).toEqual({ email: 'checked@shop.test', emailConfirmed: true, emailDigests: true });
  });
});

describe('finding 4: digests only to confirmed addresses', () => {
  /** A user with an unread message waiting past the delay, and their open client. */
  async function withWaitingMessage(name: string, sender: string) {
    const user = await addUser(server, name, { buddies: [sender] });
    const client = await connect(name);
    const from = await connect(sender);
    await from.send(user.id, `hello ${name}`);
    return { user, client };
  }

  it('sends no digest to an address until its owner follows the link of a fixed-text confirmation mail', async () => {
    await addUser(server, 'cfsender');
    // The attacker's own account, with a name meant to be read as a bank's warning.
    const { user, client } = await withWaitingMessage('cfvictim', 'cfsender');
    await client.ok('profile:update', { displayName: 'Your bank: call +1 555 0100 now' });
    const { settings } = await client.ok('profile:update', { email: 'stranger@mail.test' });

    // The heart of the finding: before this fix, this scan mailed the stranger a digest.
    await sleep(DELAY_MS + 100);
    expect(await server.app.digests.scan()).toBe(0);
    expect(digestsTo('stranger@mail.test')).toHaveLength(0);
    expect(settings).toEqual({ email: 'stranger@mail.test', emailConfirmed: false, emailDigests: true });

    // The confirmation mail: fixed text, the site's name and the link; nothing the user typed.
    const link = await confirmationLink('stranger@mail.test');
    const [mail] = confirmationsTo('stranger@mail.test');
    // The link itself is random (a user id like …-b55532 once matched "555"): check the words around it.
    expect(mail!.text).toContain('http://parley.test/confirm-email?');
    expect(mail!.text.replace(/http:\/\/parley\.test\/\S+/g, '')).not.toMatch(/bank|555|cfvictim|hello/i);
    expect(mail!.text).toContain('Parley demo');
    expect(mail!.raw).not.toMatch(/List-Unsubscribe/);

    // Opening the link (as a mail scanner would) confirms nothing; its button does.
    const shown = await fetch(link);
    expect(shown.status).toBe(200);
    expect(shown.headers.get('content-type')).toMatch(/^text\/html/);
    expect((await server.app.store.getUser(user.id))!.emailConfirmedAt).toBeNull();
    expect(await server.app.digests.scan()).toBe(0);
    const done = await fetch(link, { method: 'POST' });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('confirmed');

    const again = await connect('cfvictim');
    expect(again.ready.settings.emailConfirmed).toBe(true);
    expect(await server.app.digests.scan()).toBe(1);
    await waitFor(() => digestsTo('stranger@mail.test').length === 1, 10_000, 'the digest after confirming');
  });

  it('a changed address needs confirming again, and the old link no longer works', async () => {
    await addUser(server, 'chsender');
    const { user, client } = await withWaitingMessage('chuser', 'chsender');
    await client.ok('profile:update', { email: 'first@mail.test' });
    const firstLink = await confirmationLink('first@mail.test');
    expect((await confirm(firstLink)).status).toBe(200);

    // Saving the same address again (with another setting) keeps the confirmation and sends nothing.
    const same = await client.ok('profile:update', { email: 'first@mail.test', emailDigests: true });
    expect(same.settings.emailConfirmed).toBe(true);
    expect(confirmationsTo('first@mail.test')).toHaveLength(1);

    const changed = await client.ok('profile:update', { email: 'second@mail.test' });
    expect(changed.settings).toEqual({ email: 'second@mail.test', emailConfirmed: false, emailDigests: true });
    expect((await fetch(firstLink, { method: 'POST' })).status).toBe(404);
    await sleep(DELAY_MS + 100);
    expect(await server.app.digests.scan()).toBe(0);

    // Back to the first address: confirmed before, but it must be confirmed again.
    await client.ok('profile:update', { email: 'first@mail.test' });
    expect((await server.app.store.getUser(user.id))!.emailConfirmedAt).toBeNull();
    expect(await server.app.digests.scan()).toBe(0);
    expect((await confirm(await confirmationLink('first@mail.test', 2))).status).toBe(200);
    expect(await server.app.digests.scan()).toBe(1);
  });

  it('refuses tampered links and shows nothing of them', async () => {
    const victim = await addUser(server, 'tpvictim');
    const client = await connect('tpvictim');
    await client.ok('profile:update', { email: 'tamper@mail.test' });
    const link = new URL(await confirmationLink('tamper@mail.test'));
    const other = await addUser(server, 'tpother');
    const variants = [
      { t: link.searchParams.get('t')!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) },
      { x: String(Number(link.searchParams.get('x')) + 86_400) }, // a later expiry
      { u: other.id },
      { u: '<script>alert(1)</script>' },
      { t: '' },
    ];
    for (const change of variants) {
      const forged = new URL(link);
      for (const [key, value] of Object.entries(change)) forged.searchParams.set(key, value);
      for (const method of ['GET', 'POST']) {
        const res = await fetch(forged, { method });
        expect(res.status, `${method} ${JSON.stringify(change)}`).toBe(404);
        expect(await res.text()).not.toContain('<script>');
      }
    }
    expect((await fetch(`${server.url}/confirm-email`, { method: 'POST' })).status).toBe(404);
    expect((await server.app.store.getUser(victim.id))!.emailConfirmedAt).toBeNull();
    expect((await server.app.store.getUser(other.id))!.emailConfirmedAt).toBeNull();
  });

  it('refuses an expired link', async () => {
    const quick = await startServer({
      config: {
        smtpUrl: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`,
        publicUrl: 'http://parley.test',
        emailConfirmTtlMs: 1,
      },
    });
    try {
      const user = await addUser(quick, 'exuser');
      const { token } = await login(quick.url, 'exuser', 'exuser-pass');
      const client = await TestClient.connect(quick.url, token);
      open.push(client);
      await client.ok('profile:update', { email: 'expired@mail.test' });
      const link = await confirmationLink('expired@mail.test', 1, quick);
      await sleep(1100);
      for (const method of ['GET', 'POST']) {
        const res = await fetch(link, { method });
        expect(res.status).toBe(410);
        expect(await res.text()).toContain('expired');
      }
      expect((await quick.app.store.getUser(user.id))!.emailConfirmedAt).toBeNull();
    } finally {
      await quick.close();
    }
  });

  it('limits confirmation mails per user and per address', async () => {
    // This server allows 3 per user and hour, 2 per address and day.
    await addUser(server, 'rluser');
    const client = await connect('rluser');
    for (const n of [1, 2, 3]) await client.ok('profile:update', { email: `rl${n}@mail.test` });
    const refused = await client.request('profile:update', { email: 'rl4@mail.test', displayName: 'Renamed' });
    expect(refused).toMatchObject({ ok: false, error: { code: 'rate_limited' } });
    // Nothing of a refused change is saved, and no mail goes.
    const again = await connect('rluser');
    expect(again.ready.settings.email).toBe('rl3@mail.test');
    expect(again.ready.user.displayName).toBe('Rluser');
    expect(await client.request('profile:confirm-email', {})).toMatchObject({
      ok: false,
      error: { code: 'rate_limited' },
    });
    await sleep(200);
    expect(mailsTo('rl4@mail.test')).toHaveLength(0);
    expect(confirmationsTo('rl3@mail.test')).toHaveLength(1);

    // One address, many accounts: the address's own allowance runs out (case does not help).
    const askers = ['rla', 'rlb', 'rlc'];
    const answers = [];
    for (const name of askers) {
      await addUser(server, name);
      const asker = await connect(name);
      answers.push(
        await asker.request('profile:update', { email: name === 'rlb' ? 'Target@mail.test' : 'target@mail.test' }),
      );
    }
    expect(answers.map((a) => a.ok)).toEqual([true, true, false]);
    await sleep(200);
    expect(mails.filter((m) => m.to.some((a) => a.toLowerCase() === 'target@mail.test'))).toHaveLength(2);
  });

  it('sends the mail again on request, and says why it cannot', async () => {
    await addUser(server, 'rsuser');
    const client = await connect('rsuser');
    expect(await client.request('profile:confirm-email', {})).toMatchObject({
      ok: false,
      error: { code: 'bad_request' },
    });
    await client.ok('profile:update', { email: 'resend@mail.test' });
    expect(await client.ok('profile:confirm-email', {})).toEqual({
      settings: { email: 'resend@mail.test', emailConfirmed: false, emailDigests: true },
    });
    const link = await confirmationLink('resend@mail.test', 2);
    expect((await confirm(link)).status).toBe(200);
    expect(await client.request('profile:confirm-email', {})).toMatchObject({
      ok: false,
      error: { code: 'bad_request' },
    });
  });
});

describe('digest e-mails and changed messages', () => {
  it('count messages only (not edits or reactions), with their text as edited, and never a deleted message', async () => {
    await addUser(server, 'dgcs');
    const reader = await addUser(server, 'dgcr', { buddies: ['dgcs'] });
    const client = await connect('dgcr');
    await client.ok('profile:update', { email: 'dgcr@mail.test' });
    expect((await confirm(await confirmationLink('dgcr@mail.test'))).status).toBe(200);
    client.close();
    const from = await connect('dgcs');
    const key = { kind: 'direct', id: reader.id } as const;
    const kept = (await from.send(reader.id, 'kept, first version')).message;
    const gone = (await from.send(reader.id, 'the deleted secret')).message;
    await from.ok('message:edit', { in: key, messageId: kept.id, text: 'kept, edited' });
    await from.ok('message:react', { in: key, messageId: kept.id, emoji: '👍', on: true });
    await from.ok('message:delete', { in: key, messageId: gone.id, for: 'everyone' });

    await sleep(DELAY_MS + 100);
    expect(await server.app.digests.scan()).toBeGreaterThanOrEqual(1);
    const [digest, ...extra] = await waitFor(
      () => digestsTo('dgcr@mail.test').length > 0 && digestsTo('dgcr@mail.test'),
      10_000,
      'the digest to dgcr',
    );
    expect(extra).toHaveLength(0);
    expect(digest!.raw).toMatch(/^Subject: 1 message waiting for you/m);
    expect(digest!.text).toContain('Dgcs: kept, edited');
    expect(digest!.text).not.toContain('secret');
    expect(digest!.text).not.toContain('first version');
  });
});
