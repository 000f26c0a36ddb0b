// xmpp.js has no types: the declarations come with this file, so every project that compiles it
// (backend, e2e, bench) has them without listing them. An import cannot bring ambient ones.
// oxlint-disable-next-line typescript/triple-slash-reference
/// <reference path="./xmpp-modules.d.ts" />
import { xml, type Element } from '@xmpp/component';
import type { ChatMessage, InboxEntry, MessageChange } from '../../protocol/index.js';
import type { UserEvent } from '../../services/fanout.js';
import type { RemoteContactRecord } from '../../store/store.js';
import { toWireEntry } from '../../store/wire.js';
import type { ComponentLink } from './component-link.js';
import type { GatewayContacts } from './contacts.js';
import { NS, RETRACT_FALLBACK, presenceStanza, textOf } from './stanzas.js';
import type { XmppGatewayDeps } from './deps.js';

/** Inbox entries handed over per page (one acknowledgement each). */
const PAGE = 100;

/**
 * From Parley to XMPP: what the services tell a remote contact (through the Fanout) becomes
 * stanzas; their inbox is handed over durably, from `deliveredSeq`, which moves only once the
 * XMPP server has processed the stanzas.
 */
export class Outbound {
  /** Inbox hand-overs under way (one per contact), and whether another pass is wanted after it. */
  private readonly pumps = new Map<string, { again: boolean }>();

  constructor(
    private readonly deps: XmppGatewayDeps,
    private readonly link: ComponentLink,
    private readonly contacts: GatewayContacts,
    private readonly track: (task: Promise<unknown>, what: string) => void,
  ) {}

  async tell(contact: RemoteContactRecord, { event, data }: UserEvent): Promise<void> {
    // A site that turned XMPP off sends nothing; its contacts' inboxes wait (docs/xmpp.md).
    if (!(await this.contacts.siteOn(contact.siteId))) return;
    switch (event) {
      case 'inbox:entry':
        return this.pump(contact);
      case 'presence:changed': {
        if (data.userId === contact.userId || !this.link.online) return;
        const from = await this.contacts.jidOfUser(data.userId);
        if (from) await this.link.send(presenceStanza(from, contact.address, data.presence));
        return;
      }
      case 'typing:changed': {
        if (data.in.kind !== 'direct' || !this.link.online) return;
        const from = await this.contacts.jidOfUser(data.userId);
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
        const from = await this.contacts.jidOfUser(otherId);
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

  /**
   * Hands the contact's inbox over to XMPP from its `deliveredSeq`: a page of stanzas, then the
   * server's acknowledgement, then the position is stored. One pass per contact at a time; an
   * entry arriving meanwhile asks for one more pass. Offline, nothing moves: the next connect
   * starts a pass for every contact.
   */
  async pump(contact: RemoteContactRecord): Promise<void> {
    const running = this.pumps.get(contact.userId);
    if (running) {
      running.again = true;
      return;
    }
    const state = { again: true };
    this.pumps.set(contact.userId, state);
    try {
      while (state.again && this.link.online && (await this.contacts.siteOn(contact.siteId))) {
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
      const from = await this.contacts.jidOfUser(m.senderId);
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
      const from = await this.contacts.jidOfUser(r.readerId);
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
    const by = quoted.senderId === contact.userId ? contact.address : await this.contacts.jidOfUser(quoted.senderId);
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
    const from = await this.contacts.jidOfUser(by);
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
}
