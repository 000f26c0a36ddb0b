import { client, xml, type Client, type Element } from '@xmpp/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureProsody, startProsody, type Prosody } from '../src/testing-xmpp.js';
import { addUser, login, startServer, TestClient, waitFor, type TestServer } from './support.js';

/**
 * The XMPP gateway against a real Prosody (started by the test on loopback with its own config and
 * data; installed with apt when missing) and real XMPP users logged in with @xmpp/client: buddy
 * requests, presence, messages with receipts, typing, blocks and the strangers rule, a site with
 * XMPP off, and a Prosody restart with nothing lost or doubled.
 */
let missing: string | null = null;
try {
  ensureProsody();
} catch (err) {
  if (process.env.CI) throw err;
  missing = (err as Error).message;
  console.warn(`xmpp.test.ts skipped: ${missing}`);
}

const DOMAIN = 'parley.localhost';
const jidOf = (username: string, site: string) => `${username}%${site}@${DOMAIN}`;
const bare = (jid: string | undefined) => jid?.split('/')[0];

/** A real XMPP user: every stanza they receive, and waits on them. */
class XmppUser {
  readonly stanzas: Element[] = [];
  private constructor(
    readonly xmpp: Client,
    readonly jid: string,
  ) {
    xmpp.on('stanza', (s: Element) => this.stanzas.push(s));
  }

  static async login(prosody: Prosody, username: string): Promise<XmppUser> {
    const xmpp = client({
      service: `xmpp://127.0.0.1:${prosody.c2sPort}`,
      domain: prosody.host,
      username,
      password: `${username}-pass`,
    });
    xmpp.on('error', () => {}); // a Prosody restart breaks the connection; the test logs in again
    xmpp.reconnect.stop();
    await xmpp.start();
    const user = new XmppUser(xmpp, `${username}@${prosody.host}`);
    return user;
  }

  async send(...stanzas: Element[]): Promise<void> {
    for (const stanza of stanzas) await this.xmpp.send(stanza);
  }

  find(check: (s: Element) => boolean): Element[] {
    return this.stanzas.filter(check);
  }

  wait(check: (s: Element) => boolean, what: string, timeoutMs = 8000): Promise<Element> {
    return waitFor(() => this.stanzas.find(check), timeoutMs, what);
  }

  /** Chat messages with a body from `from` (a bare JID). */
  bodiesFrom(from: string): Element[] {
    return this.find((s) => s.name === 'message' && bare(s.attrs.from) === from && s.getChildText('body') !== null);
  }

  async stop(): Promise<void> {
    this.xmpp.removeAllListeners('stanza');
    await Promise.race([this.xmpp.stop().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 1000))]);
  }
}

const chat = (to: string, id: string, body: string) =>
  xml(
    'message',
    { type: 'chat', to, id },
    xml('body', {}, body),
    xml('request', { xmlns: 'urn:xmpp:receipts' }),
    xml('active', { xmlns: 'http://jabber.org/protocol/chatstates' }),
  );
const errorOf = (s: Element) => s.getChild('error')?.getChildElements()[0]?.name;

describe.skipIf(missing !== null)('XMPP gateway with a real Prosody', () => {
  let prosody: Prosody;
  let server: TestServer;
  const widgets: TestClient[] = [];
  const xmppUsers: XmppUser[] = [];
  const widget = async (username: string, site: string) => {
    const { token } = await login(server.url, username, `${username}-pass`, site);
    const c = await TestClient.connect(server.url, token, { site });
    widgets.push(c);
    return c;
  };
  const xmppUser = async (username: string) => {
    const u = await XmppUser.login(prosody, username);
    xmppUsers.push(u);
    // As every XMPP client does: the roster first (Prosody pushes subscription requests only to
    // resources that asked for it), then the initial presence.
    await u.xmpp.iqCaller.request(xml('iq', { type: 'get' }, xml('query', { xmlns: 'jabber:iq:roster' })));
    await u.send(xml('presence'));
    return u;
  };

  beforeAll(async () => {
    prosody = await startProsody({ component: DOMAIN });
    for (const name of ['xena', 'yann']) await prosody.register(name, `${name}-pass`);
    server = await startServer({
      config: { xmpp: prosody.componentConfig },
      sites: [
        { id: 'gw', settings: { xmpp: true } },
        { id: 'open', settings: { xmpp: true, strangersMayMessage: true } },
        { id: 'off', settings: {} },
      ],
    });
    await server.app.xmpp!.waitOnline();
  });
  afterAll(async () => {
    for (const c of widgets) c.close();
    for (const u of xmppUsers) await u.stop();
    await server?.close();
    await prosody?.stop();
  });

  it('a buddy request, presence both ways, offline messages in order once, a reply with its receipt, typing', async () => {
    const bobRecord = await addUser(server, 'bob', { site: 'gw' });
    const bobJid = jidOf('bob', 'gw');
    let bob = await widget('bob', 'gw');
    const xena = await xmppUser('xena');

    // xena asks; bob sees a pending request from a buddy named by her address, and accepts.
    await xena.send(xml('presence', { type: 'subscribe', to: bobJid }));
    const request = await waitFor(
      () => bob.rosterChanges.find((c) => 'entry' in c && c.entry.state === 'pending'),
      8000,
      'the request in the widget',
    );
    if (!('entry' in request)) throw new Error('unreachable');
    expect(request.entry.user.username).toBe('xena@localhost');
    const xenaId = request.entry.user.id;
    await bob.ok('roster:accept', { userId: xenaId });

    // XMPP: bob approves xena and asks to see her; her client approves (as Gajim would on a click).
    await xena.wait((s) => s.attrs.type === 'subscribed' && bare(s.attrs.from) === bobJid, 'subscribed');
    await xena.wait((s) => s.attrs.type === 'subscribe' && bare(s.attrs.from) === bobJid, 'subscribe from bob');
    await xena.send(xml('presence', { type: 'subscribed', to: bobJid }));

    // Each sees the other online.
    await xena.wait(
      (s) => s.name === 'presence' && bare(s.attrs.from) === bobJid && s.attrs.type === undefined,
      'bob online on XMPP',
    );
    await waitFor(
      () => bob.presence.find((p) => p.userId === xenaId && p.presence.state === 'online'),
      8000,
      'xena online in the widget',
    );
    // Presence show and status map: xena goes dnd with a status; bob sees busy.
    await xena.send(xml('presence', {}, xml('show', {}, 'dnd'), xml('status', {}, 'In a meeting')));
    await waitFor(
      () => bob.presence.find((p) => p.userId === xenaId && p.presence.state === 'busy'),
      8000,
      'xena busy',
    );
    expect(bob.presence.at(-1)!.presence.status).toBe('In a meeting');
    await xena.send(xml('presence'));

    // bob goes offline; xena sees it, then sends three messages.
    bob.close();
    await xena.wait(
      (s) => s.name === 'presence' && bare(s.attrs.from) === bobJid && s.attrs.type === 'unavailable',
      'bob offline on XMPP',
    );
    for (const [i, text] of ['one', 'two', 'three'].entries()) await xena.send(chat(bobJid, `x-${i}`, text));
    await waitFor(
      async () =>
        (await server.app.store.readInbox(bobRecord.id, 0, 100)).filter((e) => e.kind === 'message').length === 3,
      8000,
      'three stored messages',
    );

    // bob connects: the three, in order, once.
    bob = await widget('bob', 'gw');
    const synced = (await bob.syncAll()).flatMap((e) => (e.kind === 'message' ? [e.message] : []));
    expect(synced.map((m) => m.content.kind === 'text' && m.content.text)).toEqual(['one', 'two', 'three']);
    expect(synced.map((m) => m.clientId)).toEqual(['x-0', 'x-1', 'x-2']);
    expect(synced.every((m) => m.senderId === xenaId)).toBe(true);

    // bob's delivered receipt reaches xena as XEP-0184 <received id> for her stanza id.
    await bob.ok('conversation:read', { in: { kind: 'direct', id: xenaId }, kind: 'delivered', upTo: synced[2]!.id });
    await xena.wait(
      (s) => bare(s.attrs.from) === bobJid && s.getChild('received', 'urn:xmpp:receipts')?.attrs.id === 'x-2',
      'the receipt of x-2',
    );

    // bob's reply reaches xena; her client's receipt reaches bob.
    const reply = await bob.send(xenaId, 'Hello from Parley');
    const got = await xena.wait(
      (s) => bare(s.attrs.from) === bobJid && s.getChildText('body') === 'Hello from Parley',
      'the reply',
    );
    expect(got.attrs.id).toBe(reply.message.id);
    expect(got.getChild('request', 'urn:xmpp:receipts')).toBeDefined();
    await xena.send(
      xml('message', { to: bobJid, id: 'rcpt-1' }, xml('received', { xmlns: 'urn:xmpp:receipts', id: got.attrs.id })),
    );
    await waitFor(
      () => bob.receipts.find((r) => r.kind === 'delivered' && r.upTo === reply.message.id && r.readerId === xenaId),
      8000,
      'the delivered receipt in the widget',
    );

    // Typing both ways.
    await xena.send(
      xml(
        'message',
        { type: 'chat', to: bobJid },
        xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' }),
      ),
    );
    await waitFor(() => bob.typing.find((t) => t.userId === xenaId && t.typing), 8000, 'xena typing');
    await bob.ok('typing:set', { in: { kind: 'direct', id: xenaId }, typing: true });
    await xena.wait(
      (s) => bare(s.attrs.from) === bobJid && !!s.getChild('composing', 'http://jabber.org/protocol/chatstates'),
      'bob typing on XMPP',
    );
    expect(xena.bodiesFrom(bobJid)).toHaveLength(1);
  });

  it('blocks and the strangers rule hold for XMPP contacts; a site with XMPP off is service-unavailable; disco', async () => {
    await addUser(server, 'carl', { site: 'off' });
    await addUser(server, 'cleo', { site: 'gw' });
    await addUser(server, 'dora', { site: 'open' });
    const dora = await widget('dora', 'open');
    const yann = await xmppUser('yann');

    // XMPP off: a message, a request and disco all answer service-unavailable.
    await yann.send(chat(jidOf('carl', 'off'), 'off-1', 'hello?'));
    const offError = await yann.wait((s) => s.attrs.type === 'error' && s.attrs.id === 'off-1', 'the error');
    expect(errorOf(offError)).toBe('service-unavailable');
    const disco = (to: string) =>
      yann.xmpp.iqCaller
        .request(xml('iq', { type: 'get', to }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })))
        .then(
          (r) => r,
          (err: { name?: string; condition?: string }) => err,
        );
    const offDisco = (await disco(jidOf('carl', 'off'))) as { condition?: string };
    expect(offDisco.condition).toBe('service-unavailable');
    // Nobody of that name: the same answer (nobody learns who exists).
    await yann.send(chat(jidOf('nobody', 'gw'), 'nobody-1', 'hello?'));
    expect(errorOf(await yann.wait((s) => s.attrs.id === 'nobody-1', 'the error'))).toBe('service-unavailable');
    const info = (await disco(DOMAIN)) as Element;
    expect(info.getChild('query')!.getChild('identity')!.attrs).toMatchObject({ category: 'gateway', name: 'Parley' });
    const features = info
      .getChild('query')!
      .getChildren('feature')
      .map((f) => f.attrs.var);
    expect(features).toEqual(expect.arrayContaining(['urn:xmpp:receipts', 'http://jabber.org/protocol/chatstates']));

    // Strangers: gw does not let them talk (forbidden); open does.
    await yann.send(chat(jidOf('cleo', 'gw'), 's-1', 'hi cleo'));
    expect(errorOf(await yann.wait((s) => s.attrs.id === 's-1', 'the refusal'))).toBe('forbidden');
    await yann.send(chat(jidOf('dora', 'open'), 's-2', 'hi dora'));
    const first = await waitFor(
      () => dora.messages.find((e) => e.message.content.kind === 'text' && e.message.content.text === 'hi dora'),
      8000,
      'the stranger message',
    );
    const yannId = first.message.senderId;
    expect(yann.find((s) => s.attrs.id === 's-2' && s.attrs.type === 'error')).toEqual([]);

    // dora blocks yann: his messages and requests are refused, and hers to him too.
    await dora.ok('roster:block', { userId: yannId });
    await yann.send(chat(jidOf('dora', 'open'), 's-3', 'still there?'));
    const blocked = await yann.wait((s) => s.attrs.id === 's-3' && s.attrs.type === 'error', 'the block');
    expect(errorOf(blocked)).toBe('not-acceptable');
    expect(blocked.getChild('error')!.getChild('blocked', 'urn:xmpp:blocking:errors')).toBeDefined();
    await yann.send(xml('presence', { type: 'subscribe', to: jidOf('dora', 'open') }));
    await yann.wait(
      (s) => s.name === 'presence' && s.attrs.type === 'error' && bare(s.attrs.from) === jidOf('dora', 'open'),
      'the refused request',
    );
    expect(dora.rosterChanges.some((c) => 'entry' in c && c.entry.state === 'pending')).toBe(false);
    const back = await dora.trySend(yannId, 'no');
    expect(back.ok ? 'ok' : back.error.code).toBe('blocked');
    expect(dora.messages.map((e) => e.message.content.kind === 'text' && e.message.content.text)).toEqual(['hi dora']);
  });

  it('Prosody restarts: the component reconnects; nothing acknowledged on either side is lost or doubled', async () => {
    const bobJid = jidOf('bob', 'gw');
    const store = server.app.store;
    const bobRecord = (await store.findUserByUsername('gw', 'bob'))!;
    const xenaContact = (await store.findRemoteContact('gw', 'xmpp', 'xena@localhost'))!;
    const bob = await widget('bob', 'gw');
    let xena = xmppUsers.find((u) => u.jid === 'xena@localhost')!;

    // A message the component accepted just before the restart: stored once.
    await xena.send(chat(bobJid, 'before-1', 'before the restart'));
    await waitFor(() => bob.messages.find((e) => e.message.clientId === 'before-1'), 8000, 'before-1');

    await prosody.kill();
    await waitFor(() => !server.app.xmpp!.online, 8000, 'the component offline');
    // bob writes while Prosody is down: Parley acknowledges (stored), XMPP cannot take them yet.
    const sent = [];
    for (const text of ['while down 1', 'while down 2', 'while down 3'])
      sent.push(await bob.send(xenaContact.userId, text));

    await prosody.start();
    await server.app.xmpp!.waitOnline();
    await xena.stop();
    xena = await xmppUser('xena');
    // Each of the three exactly once, in order, with Parley's ids.
    await waitFor(() => xena.bodiesFrom(bobJid).length >= 3, 15_000, 'the three messages after the restart');
    await server.app.xmpp!.settled();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const arrived = xena.bodiesFrom(bobJid);
    expect(arrived.map((s) => s.getChildText('body'))).toEqual(['while down 1', 'while down 2', 'while down 3']);
    expect(arrived.map((s) => s.attrs.id)).toEqual(sent.map((s) => s.message.id));
    // The hand-over position reached the contact's inbox head (nothing left to resend).
    await waitFor(
      async () =>
        (await store.findRemoteContact('gw', 'xmpp', 'xena@localhost'))!.deliveredSeq ===
        (await store.inboxHead(xenaContact.userId)),
      8000,
      'the delivered position at the head',
    );

    // xena sends after the restart, and sends the same stanza again (no receipt seen): stored once.
    await xena.send(chat(bobJid, 'after-1', 'after the restart'));
    await xena.send(chat(bobJid, 'after-1', 'after the restart'));
    await waitFor(() => bob.messages.find((e) => e.message.clientId === 'after-1'), 8000, 'after-1');
    await xena.send(chat(bobJid, 'after-2', 'marker'));
    await waitFor(() => bob.messages.find((e) => e.message.clientId === 'after-2'), 8000, 'after-2');
    const all = (await store.readInbox(bobRecord.id, 0, 500)).flatMap((e) =>
      e.kind === 'message' && e.message.senderId === xenaContact.userId ? [e.message.clientId] : [],
    );
    expect(all.filter((id) => id === 'before-1')).toHaveLength(1);
    expect(all.filter((id) => id === 'after-1')).toHaveLength(1);
    expect(new Set(all).size).toBe(all.length);

    // Prosody killed while a burst is being handed over: every message arrives; a stanza sent
    // again (taken by Prosody, its acknowledgement lost) carries the same id, so a client keeps one.
    const burst: Awaited<ReturnType<typeof bob.send>>[] = [];
    const sending = (async () => {
      for (let i = 0; i < 20; i++) burst.push(await bob.send(xenaContact.userId, `burst ${i}`));
    })();
    await waitFor(() => xena.bodiesFrom(bobJid).length >= 5, 8000, 'the burst under way');
    await prosody.kill();
    await sending; // Parley acknowledges all twenty, Prosody down or not
    await prosody.start();
    await server.app.xmpp!.waitOnline();
    await xena.stop();
    xena = await xmppUser('xena');
    const burstIds = burst.map((s) => s.message.id);
    const ids = () => new Set(xena.bodiesFrom(bobJid).map((s) => s.attrs.id));
    // Those delivered before the kill came on the first connection; the rest now, once each by id.
    const before = new Set(
      xmppUsers
        .filter((u) => u.jid === 'xena@localhost' && u !== xena)
        .flatMap((u) => u.bodiesFrom(bobJid).map((s) => s.attrs.id)),
    );
    await waitFor(() => burstIds.every((id) => before.has(id) || ids().has(id)), 15_000, 'every message of the burst');
    const after = xena.bodiesFrom(bobJid).filter((s) => burstIds.includes(s.attrs.id!));
    // In order, and nothing under a new id.
    const order = after.map((s) => burstIds.indexOf(s.attrs.id!));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(after.every((s) => s.getChildText('body') === `burst ${burstIds.indexOf(s.attrs.id!)}`)).toBe(true);
  });

  it('edits, retractions, reactions and replies both ways (XEP-0308, 0424, 0444, 0461); disco says so', async () => {
    await addUser(server, 'nina', { site: 'open' });
    const ninaJid = jidOf('nina', 'open');
    const nina = await widget('nina', 'open');
    const xena = await xmppUser('xena');
    const direct = (id: string) => ({ kind: 'direct' as const, id });
    const changes = () => nina.entries.flatMap((e) => (e.kind === 'change' ? [e.change] : []));
    const fromNina = (check: (s: Element) => boolean, what: string) =>
      xena.wait((s) => s.name === 'message' && bare(s.attrs.from) === ninaJid && check(s), what);
    const NS = {
      correct: 'urn:xmpp:message-correct:0',
      retract: 'urn:xmpp:message-retract:1',
      reactions: 'urn:xmpp:reactions:0',
      reply: 'urn:xmpp:reply:0',
      fallback: 'urn:xmpp:fallback:0',
    };

    // A message each: xena's is known by her stanza id, nina's by its Parley id.
    await xena.send(chat(ninaJid, 'xm-1', 'helo'));
    const m1 = (await waitFor(() => nina.messages.find((e) => e.message.clientId === 'xm-1'), 8000, 'xm-1')).message;
    const xenaId = m1.senderId;
    const n1 = (await nina.send(xenaId, 'hi xena')).message;
    await fromNina((s) => s.attrs.id === n1.id, "nina's message");

    // XEP-0308 both ways.
    await xena.send(
      xml(
        'message',
        { type: 'chat', to: ninaJid, id: 'xm-1b' },
        xml('body', {}, 'hello'),
        xml('replace', { xmlns: NS.correct, id: 'xm-1' }),
      ),
    );
    const edited = await waitFor(() => changes().find((c) => c.action === 'edit'), 8000, "xena's correction");
    expect(edited.message).toMatchObject({ id: m1.id, content: { kind: 'text', text: 'hello' } });
    expect(edited.message.editedAt).toBeDefined();
    await nina.ok('message:edit', { in: direct(xenaId), messageId: n1.id, text: 'hi Xena' });
    const correction = await fromNina((s) => !!s.getChild('replace', NS.correct), "nina's correction");
    expect(correction.getChild('replace', NS.correct)!.attrs.id).toBe(n1.id);
    expect(correction.getChildText('body')).toBe('hi Xena');
    // Correcting someone else's message is refused, as in the widget.
    await xena.send(
      xml(
        'message',
        { type: 'chat', to: ninaJid, id: 'bad-fix' },
        xml('body', {}, 'hacked'),
        xml('replace', { xmlns: NS.correct, id: n1.id }),
      ),
    );
    expect(errorOf(await xena.wait((s) => s.attrs.id === 'bad-fix' && s.attrs.type === 'error', 'the refusal'))).toBe(
      'forbidden',
    );

    // A message Parley cannot find by that id.
    await xena.send(
      xml('message', { type: 'chat', to: ninaJid, id: 'bad-ref' }, xml('retract', { xmlns: NS.retract, id: 'nope' })),
    );
    expect(errorOf(await xena.wait((s) => s.attrs.id === 'bad-ref' && s.attrs.type === 'error', 'the error'))).toBe(
      'item-not-found',
    );

    // XEP-0461 both ways: the quote (XEP-0428 fallback) is left out of the text, and added going out.
    const quote = '> hi Xena\n';
    await xena.send(
      xml(
        'message',
        { type: 'chat', to: ninaJid, id: 'xm-2' },
        xml('body', {}, `${quote}thanks`),
        xml('reply', { xmlns: NS.reply, to: ninaJid, id: n1.id }),
        xml('fallback', { xmlns: NS.fallback, for: NS.reply }, xml('body', { start: '0', end: String(quote.length) })),
      ),
    );
    const r1 = (await waitFor(() => nina.messages.find((e) => e.message.clientId === 'xm-2'), 8000, 'xm-2')).message;
    expect(r1.content).toEqual({ kind: 'text', text: 'thanks' });
    expect(r1.replyTo).toMatchObject({ id: n1.id, senderId: nina.ready.user.id, excerpt: 'hi Xena' });
    const r2 = await nina.ok('message:send', {
      in: direct(xenaId),
      clientId: 'nina-r2',
      content: { kind: 'text', text: 'welcome' },
      replyTo: m1.id,
    });
    const reply = await fromNina((s) => s.attrs.id === r2.message.id, "nina's reply");
    expect(reply.getChild('reply', NS.reply)!.attrs).toMatchObject({ id: 'xm-1', to: 'xena@localhost' });
    expect(reply.getChildText('body')).toBe('> hello\nwelcome');
    expect(reply.getChild('fallback', NS.fallback)!.attrs.for).toBe(NS.reply);
    expect(reply.getChild('fallback', NS.fallback)!.getChild('body')!.attrs).toMatchObject({ start: '0', end: '8' });

    // XEP-0444: xena's full set (an emoji Parley does not offer is left out); nina's full set.
    const reactions = (id: string, stanzaId: string, ...emoji: string[]) =>
      xml(
        'message',
        { type: 'chat', to: ninaJid, id: stanzaId },
        xml('reactions', { xmlns: NS.reactions, id }, ...emoji.map((e) => xml('reaction', {}, e))),
      );
    await xena.send(reactions(n1.id, 'xr-1', '👍', '🦄'));
    const reacted = await waitFor(() => changes().find((c) => c.action === 'react'), 8000, "xena's reaction");
    expect(reacted.message.reactions).toEqual([{ emoji: '👍', userIds: [xenaId] }]);
    await xena.send(reactions(n1.id, 'xr-2'));
    await waitFor(
      () => changes().find((c) => c.action === 'react' && c.message.id === n1.id && !c.message.reactions),
      8000,
      "xena's reaction taken back",
    );
    await nina.ok('message:react', { in: direct(xenaId), messageId: m1.id, emoji: '❤️', on: true });
    const hers = await fromNina((s) => !!s.getChild('reactions', NS.reactions), "nina's reactions");
    expect(hers.getChild('reactions', NS.reactions)!.attrs.id).toBe('xm-1');
    expect(
      hers
        .getChild('reactions', NS.reactions)!
        .getChildren('reaction')
        .map((r) => r.getText()),
    ).toEqual(['❤️']);

    // XEP-0424 both ways.
    await xena.send(
      xml(
        'message',
        { type: 'chat', to: ninaJid, id: 'xd-1' },
        xml('retract', { xmlns: NS.retract, id: 'xm-2' }),
        xml('fallback', { xmlns: NS.fallback, for: NS.retract }),
        xml('body', {}, 'This person attempted to retract a previous message, but it is unsupported by your client.'),
      ),
    );
    const gone = await waitFor(() => changes().find((c) => c.action === 'delete'), 8000, "xena's retraction");
    expect(gone.message).toMatchObject({ id: r1.id, content: { kind: 'deleted' } });
    expect(gone.message.deletedAt).toBeDefined();
    await nina.ok('message:delete', { in: direct(xenaId), messageId: n1.id, for: 'everyone' });
    const retraction = await fromNina((s) => !!s.getChild('retract', NS.retract), "nina's retraction");
    expect(retraction.getChild('retract', NS.retract)!.attrs.id).toBe(n1.id);
    expect(retraction.getChild('fallback', NS.fallback)!.attrs.for).toBe(NS.retract);

    // Nothing more than these went out: one correction, one reactions set, one retraction, and
    // no stanza for xena's own changes; the fallback body of a retraction made no message.
    await server.app.xmpp!.settled();
    expect(xena.find((s) => bare(s.attrs.from) === ninaJid && s.getChildText('body') !== null)).toHaveLength(4);
    expect(nina.messages.flatMap((e) => (e.message.senderId === xenaId ? [e.message.clientId] : []))).toEqual([
      'xm-1',
      'xm-2',
    ]);

    // Disco says which of these the gateway does.
    const info = await xena.xmpp.iqCaller.request(
      xml('iq', { type: 'get', to: ninaJid }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })),
    );
    const features = info
      .getChild('query')!
      .getChildren('feature')
      .map((f) => f.attrs.var);
    expect(features).toEqual(expect.arrayContaining(Object.values(NS)));
  });
});
