// xmpp.js has no types: the declarations come with this file, so every project that compiles it
// (backend, e2e, bench) has them without listing them. An import cannot bring ambient ones.
// oxlint-disable-next-line typescript/triple-slash-reference
/// <reference path="./xmpp-modules.d.ts" />
import { createHash, randomUUID } from 'node:crypto';
import { xml, type Component, type Element } from '@xmpp/component';
import {
  ErrorCode,
  Limits,
  REACTIONS,
  type ChatMessage,
  type ChosenPresence,
  type InboxEntry,
  type MessageChange,
  type MessageContent,
  type Presence,
} from '../../protocol/index.js';
import { ParleyError } from '../../errors.js';
import { timeOrderedId } from '../../ids.js';
import type { XmppConfig } from './xmpp-config.js';
import type { Logger } from '../../logger.js';
import type { Conversations } from '../../services/conversations.js';
import type { MessageChanges } from '../../services/message-changes.js';
import type { Transport, UserEvent } from '../../services/fanout.js';
import type { PresenceService } from '../../services/presence.js';
import type { Limiter } from '../../services/rate-limiter.js';
import type { Relations } from '../../services/relations.js';
import type { RosterService } from '../../services/roster.js';
import { siteSettings } from '../../services/site-settings.js';
import type { RemoteContactRecord, SiteRecord, Store, UserRecord } from '../../store/store.js';
import { toWireEntry } from '../../store/wire.js';
import { bareOf, localJid, parseLocalJid } from './addresses.js';
import { ComponentLink, LinkLost } from './component-link.js';

const NETWORK = 'xmpp';
const NS = {
  stanzas: 'urn:ietf:params:xml:ns:xmpp-stanzas',
  receipts: 'urn:xmpp:receipts',
  markers: 'urn:xmpp:chat-markers:0',
  chatStates: 'http://jabber.org/protocol/chatstates',
  sid: 'urn:xmpp:sid:0',
  discoInfo: 'http://jabber.org/protocol/disco#info',
  discoItems: 'http://jabber.org/protocol/disco#items',
  ping: 'urn:xmpp:ping',
  blockingErrors: 'urn:xmpp:blocking:errors',
  correct: 'urn:xmpp:message-correct:0',
  retract: 'urn:xmpp:message-retract:1',
  reactions: 'urn:xmpp:reactions:0',
  reply: 'urn:xmpp:reply:0',
  fallback: 'urn:xmpp:fallback:0',
  hints: 'urn:xmpp:hints',
};
const FEATURES = [
  NS.discoInfo,
  NS.discoItems,
  NS.ping,
  NS.receipts,
  NS.markers,
  NS.chatStates,
  NS.sid,
  NS.correct,
  NS.retract,
  NS.reactions,
  NS.reply,
  NS.fallback,
];
/** The body a retraction carries for clients without XEP-0424 (the XEP's own wording). */
const RETRACT_FALLBACK = "This person attempted to retract a previous message, but it's unsupported by your client.";
const PAGE = 100;

export interface XmppGatewayDeps {
  config: XmppConfig;
  store: Store;
  conversations: Conversations;
  messageChanges: MessageChanges;
  roster: RosterService;
  presence: PresenceService;
  relations: Relations;
  limits: { message: Limiter; typing: Limiter; actions: Limiter; buddyRequests: Limiter };
  logger: Logger;
}

type Resolved = { site: SiteRecord; local: UserRecord };

/** A stanza refused: the XMPP error it answers with. */
class StanzaError extends Error {
  constructor(
    readonly type: 'cancel' | 'modify' | 'wait' | 'auth',
    readonly condition: string,
    readonly blocked = false,
  ) {
    super(condition);
  }
}
const unavailable = () => new StanzaError('cancel', 'service-unavailable');

/** A service's refusal as an XMPP error (the same code every transport sees). */
function toStanzaError(err: unknown): StanzaError | null {
  if (err instanceof StanzaError) return err;
  if (!(err instanceof ParleyError)) return null;
  switch (err.code) {
    case ErrorCode.Blocked:
      return new StanzaError('cancel', 'not-acceptable', true);
    case ErrorCode.Forbidden:
      return new StanzaError('auth', 'forbidden');
    case ErrorCode.NotFound:
      return unavailable();
    case ErrorCode.RateLimited:
      return new StanzaError('wait', 'resource-constraint');
    case ErrorCode.TooLate:
      return new StanzaError('cancel', 'not-allowed');
    case ErrorCode.BadRequest:
    case ErrorCode.TooLarge:
      return new StanzaError('modify', 'bad-request');
    default:
      return new StanzaError('wait', 'internal-server-error');
  }
}

/** XMPP `show` → what a Parley user may choose; and back. */
function chosenOf(show: string | null): ChosenPresence {
  if (show === 'away' || show === 'xa') return 'away';
  if (show === 'dnd') return 'busy';
  return 'online';
}
const SHOW: Record<Presence['state'], string | null> = { online: null, away: 'away', busy: 'dnd', offline: null };

/** What XMPP shows of a message's content as its body; null for what has none (a tombstone). */
function textOf(c: MessageContent): string | null {
  if (c.kind === 'text') return c.text;
  if (c.kind === 'file')
    return [`[${c.file.voice ? 'voice message' : c.file.media}: ${c.file.name}]`, c.text].filter(Boolean).join(' ');
  if (c.kind === 'call') return `[${c.call.media === 'video' ? 'video' : 'voice'} call]`;
  return null;
}

/**
 * The body without the parts XEP-0428 marks as a fallback for `forNs` (a reply's quote), counted
 * in code points as the XEP says; a `<fallback>` without ranges covers nothing here.
 */
function withoutFallback(stanza: Element, body: string, forNs: string): string {
  const ranges = stanza
    .getChildren('fallback', NS.fallback)
    .filter((f) => f.attrs.for === forNs)
    .flatMap((f) => f.getChildren('body'))
    .map((b) => [Number(b.attrs.start), Number(b.attrs.end)] as const)
    .filter(([start, end]) => Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end);
  if (ranges.length === 0) return body;
  return Array.from(body)
    .filter((_, i) => !ranges.some(([start, end]) => i >= start && i < end))
    .join('');
}

/** One of Parley's reaction emoji, whether or not the client added or left out variation selectors. */
const plainEmoji = (emoji: string) => emoji.replace(/\uFE0F/g, '');
const REACTION_OF = new Map<string, (typeof REACTIONS)[number]>(REACTIONS.map((e) => [plainEmoji(e), e]));

/**
 * The XMPP gateway: Parley as an external component of an XMPP server (Prosody), a second transport
 * beside Socket.IO. XMPP users become remote contacts (a User of the site each, see
 * RemoteContactsRepository), so the services treat them like anyone: stanzas from them become
 * the same service calls a widget's events do, and what the services tell them (through the
 * Fanout, as {@link Transport}) becomes stanzas. docs/xmpp.md has the mapping and the delivery
 * guarantees.
 *
 * Delivery to XMPP is durable: a remote contact's inbox is handed over from its `deliveredSeq`,
 * which moves only once the XMPP server has processed the stanzas (`ComponentLink.acknowledged`);
 * after a reconnect (or a Parley restart) the rest is sent again with the same stanza ids (the
 * Parley message id, also as XEP-0359 origin-id), so clients can drop a repeat. Stanzas from XMPP
 * are stored with their id as the message's clientId, so a repeat is stored once.
 */
export class XmppGateway implements Transport {
  private readonly link: ComponentLink;
  private readonly domain: string;
  /** Remote contacts by user id, and by `site|address`: every one there is (few, and small). */
  private readonly byUser = new Map<string, RemoteContactRecord>();
  private readonly byAddress = new Map<string, RemoteContactRecord>();
  /** The available resources (full JIDs) of each remote contact, as their presence told us. */
  private readonly resources = new Map<string, Set<string>>();
  /** Inbox hand-overs under way (one per contact), and whether another pass is wanted after it. */
  private readonly pumps = new Map<string, { again: boolean }>();
  private readonly pending = new Set<Promise<unknown>>();
  private loaded: Promise<void> | null = null;
  private onlineWaiters: (() => void)[] = [];

  constructor(private readonly deps: XmppGatewayDeps) {
    this.domain = deps.config.domain;
    this.link = new ComponentLink(deps.config, deps.logger, {
      online: () => this.track(this.whenOnline(), 'catching up after connecting'),
      offline: () => this.wentOffline(),
      stanza: (stanza) => this.track(this.inOrder(stanza), 'handling a stanza', stanza),
    });
    this.link.onIq((xmpp) => this.registerIq(xmpp));
  }

  /** Loads the remote contacts and connects (and keeps connecting) to the XMPP server. */
  start(): void {
    this.loaded = this.deps.store.remoteContacts(NETWORK).then((all) => {
      for (const c of all) this.remember(c);
    });
    this.loaded.then(
      () => this.link.start(),
      (err: unknown) => this.deps.logger.error({ err }, 'could not load the XMPP contacts; the gateway stays off'),
    );
  }

  /** Whether the component is connected and authenticated now. */
  get online(): boolean {
    return this.link.online;
  }

  /** Resolves once online (tests, and a node that wants to wait for it). */
  waitOnline(): Promise<void> {
    if (this.link.online) return Promise.resolve();
    return new Promise((resolve) => this.onlineWaiters.push(resolve));
  }

  /** Resolves once nothing is being handed over or handled (tests wait for quiet). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async stop(): Promise<void> {
    await this.link.stop();
    this.wentOffline();
    await this.settled();
  }

  // ---------------------------------------------------------------------------------------------
  // Transport: what the services tell users, for the users who are remote contacts.

  deliver(userIds: readonly string[], event: UserEvent): void {
    for (const id of userIds) {
      const contact = this.byUser.get(id);
      if (contact) this.track(this.tell(contact, event), 'telling an XMPP contact');
    }
  }

  /** Calls go to one device; an XMPP contact has none Parley can ring. */
  deliverTo(): void {}

  async connectionsOf(): Promise<string[]> {
    return [];
  }

  /** Remote contacts have no Parley sessions. */
  async endSessions(): Promise<void> {}

  private async tell(contact: RemoteContactRecord, { event, data }: UserEvent): Promise<void> {
    // A site that turned XMPP off sends nothing; its contacts' inboxes wait (docs/xmpp.md).
    if (!(await this.siteOn(contact.siteId))) return;
    switch (event) {
      case 'inbox:entry':
        return this.pump(contact);
      case 'presence:changed': {
        if (data.userId === contact.userId || !this.link.online) return;
        const from = await this.jidOfUser(data.userId);
        if (from) await this.link.send(this.presenceStanza(from, contact.address, data.presence));
        return;
      }
      case 'typing:changed': {
        if (data.in.kind !== 'direct' || !this.link.online) return;
        const from = await this.jidOfUser(data.userId);
        const state = data.typing ? 'composing' : 'paused';
        if (from)
          await this.link.send(
            xml('message', { type: 'chat', from, to: contact.address }, xml(state, { xmlns: NS.chatStates })),
          );
        return;
      }
      case 'roster:changed': {
        if (!this.link.online) return;
        // The contact's own row: `pending` when a Parley user asked them, `accepted` once mutual,
        // gone when the relation ended (removed, declined, blocked).
        const otherId = 'entry' in data ? data.entry.user.id : data.removed;
        const from = await this.jidOfUser(otherId);
        if (!from) return;
        const to = contact.address;
        if ('removed' in data) {
          await this.link.send(
            xml('presence', { type: 'unsubscribed', from, to }),
            xml('presence', { type: 'unsubscribe', from, to }),
          );
        } else if (data.entry.state === 'pending') {
          await this.link.send(xml('presence', { type: 'subscribe', from, to }));
        } else if (data.entry.state === 'accepted') {
          // Mutual: the contact may see the Parley user, and the Parley user asks to see them (a
          // client that asked first approves at once; one already subscribed is answered by its
          // server). No probe: Prosody answers a probe from someone it has not approved with
          // `unsubscribed` on the contact's behalf, which cancels the request just sent.
          await this.link.send(
            xml('presence', { type: 'subscribed', from, to }),
            xml('presence', { type: 'subscribe', from, to }),
          );
        }
        return;
      }
      default:
        return;
    }
  }

  private presenceStanza(from: string, to: string, presence: Presence): Element {
    if (presence.state === 'offline') return xml('presence', { type: 'unavailable', from, to });
    const show = SHOW[presence.state];
    return xml(
      'presence',
      { from, to },
      show ? xml('show', {}, show) : null,
      presence.status ? xml('status', {}, presence.status) : null,
    );
  }

  /**
   * Hands the contact's inbox over to XMPP from its `deliveredSeq`: a page of stanzas, then the
   * server's acknowledgement, then the position is stored. One pass per contact at a time; an
   * entry arriving meanwhile asks for one more pass. Offline, nothing moves: the next connect
   * starts a pass for every contact.
   */
  private async pump(contact: RemoteContactRecord): Promise<void> {
    const running = this.pumps.get(contact.userId);
    if (running) {
      running.again = true;
      return;
    }
    const state = { again: true };
    this.pumps.set(contact.userId, state);
    try {
      while (state.again && this.link.online && (await this.siteOn(contact.siteId))) {
        state.again = false;
        for (;;) {
          const entries = await this.deps.store.readInbox(contact.userId, contact.deliveredSeq, PAGE);
          if (entries.length === 0) break;
          const stanzas = (await Promise.all(entries.map((e) => this.entryStanza(contact, toWireEntry(e))))).filter(
            (s): s is Element => s !== null,
          );
          if (stanzas.length > 0) {
            await this.link.send(...stanzas);
            await this.link.acknowledged();
          }
          const last = entries.at(-1)!.seq;
          await this.deps.store.setRemoteDelivered(contact.userId, last);
          contact.deliveredSeq = last;
          if (entries.length < PAGE) break;
        }
      }
    } finally {
      this.pumps.delete(contact.userId);
      // Asked again while this pass was failing (a reconnect meanwhile): start over.
      if (state.again && this.link.online) this.track(this.pump(contact), 'handing an inbox over');
    }
  }

  /** One inbox entry of a remote contact as a stanza, or null for what XMPP is not told. */
  private async entryStanza(contact: RemoteContactRecord, entry: InboxEntry): Promise<Element | null> {
    const to = contact.address;
    if (entry.kind === 'message') {
      const m = entry.message;
      // Their own messages (echoed to their inbox) and room messages stay in Parley.
      if (m.senderId === contact.userId || m.recipientId !== contact.userId) return null;
      const from = await this.jidOfUser(m.senderId);
      if (!from) return null;
      const body = await this.bodyOf(contact, m);
      if (!body) return null;
      return xml(
        'message',
        { type: 'chat', id: m.id, from, to },
        ...body,
        xml('active', { xmlns: NS.chatStates }),
        xml('request', { xmlns: NS.receipts }),
        xml('markable', { xmlns: NS.markers }),
        xml('origin-id', { xmlns: NS.sid, id: m.id }),
      );
    }
    if (entry.kind === 'receipt') {
      const r = entry.receipt;
      if (r.readerId === contact.userId) return null;
      const message = await this.deps.store.getMessage(r.upTo);
      if (!message || message.senderId !== contact.userId) return null;
      const from = await this.jidOfUser(r.readerId);
      if (!from) return null;
      const marker =
        r.kind === 'delivered'
          ? xml('received', { xmlns: NS.receipts, id: message.clientId })
          : xml('displayed', { xmlns: NS.markers, id: message.clientId });
      return xml('message', { type: 'chat', id: `r-${r.kind}-${message.id}`, from, to }, marker);
    }
    if (entry.kind === 'change') return this.changeStanza(contact, entry.change);
    return null;
  }

  /** The id XMPP knows a message by: the contact's own stanza id for theirs, the Parley id for ours. */
  private xmppIdOf(contact: RemoteContactRecord, m: { id: string; senderId: string; clientId: string }): string {
    return m.senderId === contact.userId ? m.clientId : m.id;
  }

  /**
   * A message's `<body>`, and for a reply XEP-0461's `<reply>` with a quote of what it answers at
   * the start of the body, marked as XEP-0428 fallback. Null when it has no body (a tombstone).
   */
  private async bodyOf(contact: RemoteContactRecord, m: ChatMessage): Promise<Element[] | null> {
    const text = textOf(m.content);
    if (text === null) return null;
    const quoted = m.replyTo;
    if (!quoted) return [xml('body', {}, text)];
    const original = await this.deps.store.getMessage(quoted.id);
    const by = quoted.senderId === contact.userId ? contact.address : await this.jidOfUser(quoted.senderId);
    const quote = quoted.excerpt
      ? quoted.excerpt
          .split('\n')
          .map((line) => `> ${line}\n`)
          .join('')
      : '';
    return [
      xml('body', {}, quote + text),
      original && by ? xml('reply', { xmlns: NS.reply, to: by, id: this.xmppIdOf(contact, original) }) : null,
      quote
        ? xml(
            'fallback',
            { xmlns: NS.fallback, for: NS.reply },
            xml('body', { start: '0', end: String(Array.from(quote).length) }),
          )
        : null,
    ].filter((e): e is Element => e !== null);
  }

  /**
   * A change of a one-to-one message with the contact, made by the Parley user: an edit as an
   * XEP-0308 correction, a deletion as an XEP-0424 retraction, a reaction as the user's full set of
   * XEP-0444 reactions to it. Read from the inbox, `message` is as it is now, so a change that
   * came later wins: an edit of a message deleted since is not sent (its retraction is).
   * The stanza id follows the message's `rev`: a stanza sent again keeps its id, unless the message
   * changed meanwhile, and then it carries the newer state, which applies the same way.
   */
  private async changeStanza(contact: RemoteContactRecord, change: MessageChange): Promise<Element | null> {
    const { action, by, message: m } = change;
    if (m.roomId || by === contact.userId) return null;
    if (m.senderId !== contact.userId && m.recipientId !== contact.userId) return null;
    const from = await this.jidOfUser(by);
    if (!from) return null;
    const ref = this.xmppIdOf(contact, m);
    const id = `${action}-${m.rev ?? 0}-${m.id}`;
    const attrs = { type: 'chat', id, from, to: contact.address };
    const originId = xml('origin-id', { xmlns: NS.sid, id });
    if (action === 'delete') {
      if (!m.deletedAt) return null;
      return xml(
        'message',
        attrs,
        xml('retract', { xmlns: NS.retract, id: ref }),
        xml('fallback', { xmlns: NS.fallback, for: NS.retract }),
        xml('body', {}, RETRACT_FALLBACK),
        xml('store', { xmlns: NS.hints }),
        originId,
      );
    }
    if (m.deletedAt) return null;
    if (action === 'edit') {
      const body = await this.bodyOf(contact, m);
      if (!body) return null;
      return xml('message', attrs, ...body, xml('replace', { xmlns: NS.correct, id: ref }), originId);
    }
    const mine = (m.reactions ?? []).filter((r) => r.userIds.includes(by)).map((r) => r.emoji);
    return xml(
      'message',
      attrs,
      xml('reactions', { xmlns: NS.reactions, id: ref }, ...mine.map((e) => xml('reaction', {}, e))),
      xml('store', { xmlns: NS.hints }),
      originId,
    );
  }

  // ---------------------------------------------------------------------------------------------
  // From XMPP: stanzas become service calls.

  /** Stanzas of one sender, one after the other: their messages are stored in the order sent. */
  private readonly queues = new Map<string, Promise<void>>();

  private inOrder(stanza: Element): Promise<void> {
    const key = bareOf(stanza.attrs.from) ?? '';
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.receive(stanza));
    const tail = next.catch(() => {});
    this.queues.set(key, tail);
    void tail.then(() => {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    });
    return next;
  }

  private async receive(stanza: Element): Promise<void> {
    const from = stanza.attrs.from;
    const to = stanza.attrs.to;
    const address = bareOf(from);
    this.deps.logger.debug({ stanza: stanza.toString().slice(0, 500) }, 'XMPP stanza received');
    if (!address || address.endsWith(`@${this.domain}`)) return;
    try {
      const target = await this.resolveLocal(to);
      if (stanza.name === 'message') await this.onMessage(stanza, address, target);
      else if (stanza.name === 'presence') await this.onPresence(stanza, address, from!, target);
    } catch (err) {
      const refusal = toStanzaError(err);
      if (!refusal) throw err;
      // Errors are never answered with errors; presence other than requests is not answered.
      const type = stanza.attrs.type;
      if (type === 'error') return;
      if (stanza.name === 'presence' && type !== 'subscribe' && type !== 'probe') return;
      await this.link.send(this.errorReply(stanza, refusal));
    }
  }

  private errorReply(stanza: Element, refusal: StanzaError): Element {
    return xml(
      stanza.name,
      { type: 'error', from: stanza.attrs.to, to: stanza.attrs.from, id: stanza.attrs.id },
      xml(
        'error',
        { type: refusal.type },
        xml(refusal.condition, { xmlns: NS.stanzas }),
        refusal.blocked ? xml('blocked', { xmlns: NS.blockingErrors }) : null,
      ),
    );
  }

  /**
   * The Parley user a JID of the component names, on a site that has XMPP on. Anything else (no
   * such site or user, XMPP off, a remote contact's own user) is `service-unavailable`, the same
   * for all, so nobody learns who exists.
   */
  private async resolveLocal(to: string | undefined): Promise<Resolved> {
    const named = parseLocalJid(this.domain, to);
    if (!named) throw unavailable();
    const site = await this.deps.store.getSite(named.siteId);
    if (!site || !siteSettings(site).xmpp) throw unavailable();
    const local = await this.deps.store.findUserByUsername(site.id, named.username);
    if (!local || this.byUser.has(local.id)) throw unavailable();
    return { site, local };
  }

  /** The remote contact for this address on the site, created on first need. */
  private async contact(site: SiteRecord, address: string, create: boolean): Promise<UserRecord | null> {
    let contact = this.byAddress.get(`${site.id}|${address}`) ?? null;
    if (!contact) {
      contact = await this.deps.store.findRemoteContact(site.id, NETWORK, address);
      if (!contact && create) {
        // New users per XMPP domain are rate limited like buddy requests: one server's users (or
        // one spammer's made-up addresses) cannot fill a site with contacts.
        const domain = address.slice(address.indexOf('@') + 1);
        await this.take(this.deps.limits.buddyRequests, `xmpp-domain:${domain}`);
        contact = await this.deps.store.createRemoteContact({
          siteId: site.id,
          network: NETWORK,
          address,
          userId: timeOrderedId(),
        });
      }
      if (!contact) return null;
      this.remember(contact);
    }
    return this.deps.store.getUser(contact.userId);
  }

  private remember(contact: RemoteContactRecord): void {
    const known = this.byUser.get(contact.userId);
    if (known) return;
    this.byUser.set(contact.userId, contact);
    this.byAddress.set(`${contact.siteId}|${contact.address}`, contact);
  }

  private async take(limiter: Limiter, userId: string): Promise<void> {
    if (!(await limiter.take(userId))) throw new StanzaError('wait', 'resource-constraint');
  }

  private async onMessage(stanza: Element, address: string, { site, local }: Resolved): Promise<void> {
    const type = stanza.attrs.type ?? 'normal';
    if (type === 'error') {
      this.deps.logger.debug({ from: address, stanza: stanza.toString().slice(0, 500) }, 'XMPP error received');
      return;
    }
    if (type === 'groupchat') throw new StanzaError('cancel', 'not-acceptable');
    const body = stanza.getChildText('body');
    const with_ = { kind: 'direct' as const, id: local.id };
    const retract = stanza.getChild('retract', NS.retract);
    const replace = body !== null ? stanza.getChild('replace', NS.correct) : undefined;
    const reactions = stanza.getChild('reactions', NS.reactions);
    if (retract || replace || reactions) {
      // A change to a message: by someone who already is a contact (they wrote or were written to).
      const remote = await this.contact(site, address, false);
      if (!remote) throw unavailable();
      await this.take(this.deps.limits.message, remote.id);
      const changes = this.deps.messageChanges;
      const messageId = await this.referenced(remote, local, (retract ?? replace ?? reactions)!.attrs.id);
      if (!messageId) throw new StanzaError('cancel', 'item-not-found');
      if (retract) {
        await changes.delete(site, remote, { in: with_, messageId, for: 'everyone' });
      } else if (replace) {
        const text = this.textOfBody(stanza, body!);
        if (text.length === 0) return;
        await changes.edit(site, remote, { in: with_, messageId, text });
      } else {
        await this.react(site, remote, with_, messageId, reactions!);
      }
      return;
    }
    if (body !== null) {
      // A first message from someone unknown: only where strangers may talk (else every address
      // on the XMPP network could make a user here by writing once).
      const remote = await this.contact(site, address, siteSettings(site).strangersMayMessage);
      if (!remote) throw new StanzaError('auth', 'forbidden');
      await this.take(this.deps.limits.message, remote.id);
      const text = this.textOfBody(stanza, body);
      if (text.length === 0) return;
      // A reply (XEP-0461) to a message Parley cannot find is kept as a plain message.
      const replyId = stanza.getChild('reply', NS.reply)?.attrs.id;
      const replyTo = replyId ? await this.referenced(remote, local, replyId) : null;
      await this.deps.conversations.send(site, remote, {
        in: with_,
        clientId: this.clientIdOf(stanza, address, text),
        content: { kind: 'text', text },
        ...(replyTo ? { replyTo } : {}),
      });
      return;
    }
    const remote = await this.contact(site, address, false);
    if (!remote) throw unavailable();
    const received = stanza.getChild('received', NS.receipts);
    const displayed = stanza.getChild('displayed', NS.markers);
    const marker = received ?? displayed;
    if (marker) {
      const upTo = marker.attrs.id;
      if (!upTo) throw new StanzaError('modify', 'bad-request');
      await this.take(this.deps.limits.message, remote.id);
      await this.deps.conversations.read(site, remote, { in: with_, kind: received ? 'delivered' : 'read', upTo });
      return;
    }
    const state = stanza.getChildElements().find((el) => el.attrs.xmlns === NS.chatStates);
    if (state) {
      await this.take(this.deps.limits.typing, remote.id);
      await this.deps.conversations.typing(site, remote, { in: with_, typing: state.name === 'composing' });
    }
  }

  /** A message's text from its body: without a reply's quote (XEP-0428 fallback), NULs, within the limit. */
  private textOfBody(stanza: Element, body: string): string {
    const text = withoutFallback(stanza, body, NS.reply).replace(/\0/g, '');
    if (text.length > Limits.messageBody) throw new StanzaError('modify', 'not-acceptable');
    return text;
  }

  /**
   * The Parley id of a message of this chat that the contact names by its XMPP id: theirs by the
   * stanza id they sent it with (its clientId), the Parley user's by its Parley id (the stanza id
   * it went out with). Null when there is none; the service checks that it is of this chat.
   */
  private async referenced(remote: UserRecord, local: UserRecord, xmppId: string | undefined): Promise<string | null> {
    if (!xmppId || xmppId.length > Limits.clientId) return null;
    const store = this.deps.store;
    const theirs = await store.findMessageByClientId(remote.id, xmppId);
    if (theirs) return theirs.id;
    const ours = await store.getMessage(xmppId);
    return ours?.senderId === local.id ? ours.id : null;
  }

  /**
   * XEP-0444: the contact's full set of reactions to a message. Parley's reactions of theirs are
   * set and removed to match; emoji Parley does not offer are left out.
   */
  private async react(
    site: SiteRecord,
    remote: UserRecord,
    in_: { kind: 'direct'; id: string },
    messageId: string,
    reactions: Element,
  ): Promise<void> {
    const wanted = new Set(
      reactions
        .getChildren('reaction')
        .map((r) => REACTION_OF.get(plainEmoji(r.getText().trim())))
        .filter((e) => e !== undefined),
    );
    const message = await this.deps.store.getMessage(messageId);
    const had = new Set((message?.reactions ?? []).filter((r) => r.userIds.includes(remote.id)).map((r) => r.emoji));
    for (const emoji of REACTIONS) {
      const on = wanted.has(emoji);
      if (on !== had.has(emoji)) await this.deps.messageChanges.react(site, remote, { in: in_, messageId, emoji, on });
    }
  }

  /**
   * The message's clientId: its XEP-0359 origin-id, else its stanza id, which a client keeps when it
   * sends again; one too long for Parley is hashed. Without either, nothing can tell a repeat.
   */
  private clientIdOf(stanza: Element, address: string, text: string): string {
    const given = stanza.getChild('origin-id', NS.sid)?.attrs.id ?? stanza.attrs.id;
    if (!given) return `x-${randomUUID()}`;
    if (given.length <= Limits.clientId && !given.includes('\0')) return given;
    return `x-${createHash('sha256').update(`${address}\n${given}\n${text}`).digest('base64url').slice(0, 40)}`;
  }

  private async onPresence(stanza: Element, address: string, fullJid: string, { site, local }: Resolved) {
    const type = stanza.attrs.type;
    const { roster, presence, limits } = this.deps;
    switch (type) {
      case 'subscribe': {
        const remote = await this.contact(site, address, true);
        if (!remote) throw unavailable();
        await this.take(limits.buddyRequests, remote.id);
        // Asked already, or buddies: XMPP expects an answer all the same.
        const entry = await roster.request(remote, local.id);
        if (entry?.state === 'accepted') {
          await this.link.send(xml('presence', { type: 'subscribed', from: stanza.attrs.to, to: address }));
        }
        return;
      }
      case 'subscribed': {
        const remote = await this.contact(site, address, false);
        if (!remote) return;
        const { ab } = await this.deps.store.relation(remote.id, local.id);
        if (ab?.state === 'pending') await roster.accept(remote, local.id);
        return;
      }
      case 'unsubscribe': {
        // The contact no longer wants the Parley user's presence: they removed them, or take
        // back their request.
        const remote = await this.contact(site, address, false);
        if (!remote) return;
        const { ab } = await this.deps.store.relation(remote.id, local.id);
        if (ab?.state === 'accepted') await roster.remove(remote, local.id);
        else if (ab?.state === 'requested') await roster.cancel(remote, local.id);
        return;
      }
      case 'unsubscribed': {
        // A refusal of the Parley user's request. Not a removal: servers also answer a probe from
        // someone not (yet) approved with `unsubscribed` (RFC 6121 §4.3.2), and a client removing
        // a contact sends `unsubscribe` as well.
        const remote = await this.contact(site, address, false);
        if (!remote) return;
        const { ab } = await this.deps.store.relation(remote.id, local.id);
        if (ab?.state === 'pending') await roster.decline(remote, local.id);
        return;
      }
      case 'probe': {
        const remote = await this.contact(site, address, false);
        if (!remote || !(await this.deps.relations.mutualBuddies(local.id)).has(remote.id)) return;
        await this.link.send(this.presenceStanza(stanza.attrs.to!, address, await presence.visible(local)));
        return;
      }
      case 'unavailable': {
        const remote = this.byAddress.get(`${site.id}|${address}`);
        const set = remote && this.resources.get(remote.userId);
        if (!remote || !set?.delete(fullJid)) return;
        if (set.size === 0) {
          this.resources.delete(remote.userId);
          presence.disconnect(remote.userId);
        }
        return;
      }
      case undefined: {
        // Available: the contact's client told one of their Parley contacts (each gets a copy).
        const remote = await this.contact(site, address, false);
        if (!remote) return;
        const state = chosenOf(stanza.getChildText('show'));
        const status = (stanza.getChildText('status') ?? '').replace(/\0/g, '').slice(0, Limits.statusText);
        let set = this.resources.get(remote.id);
        const first = !set;
        if (!set) this.resources.set(remote.id, (set = new Set()));
        set.add(fullJid);
        const changed = remote.presenceState !== state || remote.statusText !== status;
        if (first) {
          // Online with what they show now (stored first, so the first fan-out says it).
          const user = changed
            ? await this.deps.store.updateUser(remote.id, { presenceState: state, statusText: status })
            : remote;
          await presence.connect(user);
        } else if (changed) {
          await presence.choose(remote, state, status);
        }
        return;
      }
      default:
        return;
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** Disco (XEP-0030) for the component and its users; ping. Everything else: service-unavailable. */
  private registerIq(xmpp: Component): void {
    const info = async (to: string | undefined): Promise<Element> => {
      if (to === this.domain) {
        return xml(
          'query',
          { xmlns: NS.discoInfo },
          xml('identity', { category: 'gateway', type: 'parley', name: 'Parley' }),
          ...FEATURES.map((f) => xml('feature', { var: f })),
        );
      }
      try {
        await this.resolveLocal(to);
      } catch {
        return xml('error', { type: 'cancel' }, xml('service-unavailable', { xmlns: NS.stanzas }));
      }
      return xml(
        'query',
        { xmlns: NS.discoInfo },
        xml('identity', { category: 'account', type: 'registered' }),
        ...FEATURES.map((f) => xml('feature', { var: f })),
      );
    };
    xmpp.iqCallee.get(NS.discoInfo, 'query', (ctx) => info(ctx.stanza.attrs.to?.split('/')[0]?.toLowerCase()));
    xmpp.iqCallee.get(NS.discoItems, 'query', () => xml('query', { xmlns: NS.discoItems }));
    // `true`: an empty result.
    xmpp.iqCallee.get(NS.ping, 'ping', () => true);
  }

  /** Connected (again): catch every contact's inbox up, and exchange presence with them. */
  private async whenOnline(): Promise<void> {
    for (const resolve of this.onlineWaiters.splice(0)) resolve();
    await this.loaded;
    const contacts = [...this.byUser.values()];
    await Promise.all(
      contacts.map(async (contact) => {
        await this.pump(contact);
        const rows = await this.deps.relations.roster(contact.userId);
        for (const row of rows) {
          if (!row.mutual) continue;
          const from = await this.jidOfUser(row.buddy.id);
          if (!from) continue;
          const shown = await this.deps.presence.visible(row.buddy);
          await this.link.send(
            xml('presence', { type: 'probe', from, to: contact.address }),
            this.presenceStanza(from, contact.address, shown),
          );
        }
      }),
    );
  }

  /** Disconnected: nobody on XMPP is known to be online any more (their presence comes back with probes). */
  private wentOffline(): void {
    for (const userId of this.resources.keys()) this.deps.presence.disconnect(userId);
    this.resources.clear();
  }

  private async siteOn(siteId: string): Promise<boolean> {
    const site = await this.deps.store.getSite(siteId);
    return site !== null && siteSettings(site).xmpp;
  }

  private readonly jids = new Map<string, string | null>();

  /** A Parley user's JID on the gateway (null for remote contacts and unknown ids). */
  private async jidOfUser(userId: string): Promise<string | null> {
    if (this.byUser.has(userId)) return null;
    const known = this.jids.get(userId);
    if (known !== undefined) return known;
    const user = await this.deps.store.getUser(userId);
    const jid = user ? localJid(this.domain, user) : null;
    this.jids.set(userId, jid);
    if (this.jids.size > 50_000) this.jids.delete(this.jids.keys().next().value!);
    return jid;
  }

  private track(task: Promise<unknown>, what: string, stanza?: Element): void {
    const tracked = task
      .catch((err: unknown) =>
        // Offline meanwhile: the inbox is handed over again after the reconnect.
        this.link.online && !(err instanceof LinkLost)
          ? this.deps.logger.error({ err, stanza: stanza?.toString().slice(0, 500) }, `XMPP gateway: ${what} failed`)
          : this.deps.logger.debug({ err: (err as Error).message }, `XMPP gateway: ${what} interrupted`),
      )
      .finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }
}
