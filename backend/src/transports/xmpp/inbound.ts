// xmpp.js has no types: the declarations come with this file, so every project that compiles it
// (backend, e2e, bench) has them without listing them. An import cannot bring ambient ones.
// oxlint-disable-next-line typescript/triple-slash-reference
/// <reference path="./xmpp-modules.d.ts" />
import { createHash, randomUUID } from 'node:crypto';
import { xml, type Element } from '@xmpp/component';
import { Limits, REACTIONS } from '../../protocol/index.js';
import { siteSettings } from '../../services/site-settings.js';
import type { SiteRecord, UserRecord } from '../../store/store.js';
import { bareOf } from './addresses.js';
import type { ComponentLink } from './component-link.js';
import type { GatewayContacts, Resolved } from './contacts.js';
import {
  NS,
  REACTION_OF,
  StanzaError,
  chosenOf,
  errorReply,
  plainEmoji,
  presenceStanza,
  take,
  toStanzaError,
  unavailable,
  withoutFallback,
} from './stanzas.js';
import type { XmppGatewayDeps } from './deps.js';

/**
 * From XMPP to Parley: stanzas become the same service calls a widget's events do. Stanzas from
 * XMPP are stored with their id as the message's clientId, so a repeat is stored once.
 */
export class Inbound {
  /** The available resources (full JIDs) of each remote contact, as their presence told us. */
  private readonly resources = new Map<string, Set<string>>();

  constructor(
    private readonly deps: XmppGatewayDeps,
    private readonly link: ComponentLink,
    private readonly contacts: GatewayContacts,
    private readonly domain: string,
  ) {}

  /** Stanzas of one sender, one after the other: their messages are stored in the order sent. */
  private readonly queues = new Map<string, Promise<void>>();

  inOrder(stanza: Element): Promise<void> {
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
      const target = await this.contacts.resolveLocal(to);
      if (stanza.name === 'message') await this.onMessage(stanza, address, target);
      else if (stanza.name === 'presence') await this.onPresence(stanza, address, from!, target);
    } catch (err) {
      const refusal = toStanzaError(err);
      if (!refusal) throw err;
      // Errors are never answered with errors; presence other than requests is not answered.
      const type = stanza.attrs.type;
      if (type === 'error') return;
      if (stanza.name === 'presence' && type !== 'subscribe' && type !== 'probe') return;
      await this.link.send(errorReply(stanza, refusal));
    }
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
      const remote = await this.contacts.contact(site, address, false);
      if (!remote) throw unavailable();
      await take(this.deps.limits.message, remote.id);
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
      const remote = await this.contacts.contact(site, address, siteSettings(site).strangersMayMessage);
      if (!remote) throw new StanzaError('auth', 'forbidden');
      await take(this.deps.limits.message, remote.id);
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
    const remote = await this.contacts.contact(site, address, false);
    if (!remote) throw unavailable();
    const received = stanza.getChild('received', NS.receipts);
    const displayed = stanza.getChild('displayed', NS.markers);
    const marker = received ?? displayed;
    if (marker) {
      const upTo = marker.attrs.id;
      if (!upTo) throw new StanzaError('modify', 'bad-request');
      await take(this.deps.limits.message, remote.id);
      await this.deps.conversations.read(site, remote, { in: with_, kind: received ? 'delivered' : 'read', upTo });
      return;
    }
    const state = stanza.getChildElements().find((el) => el.attrs.xmlns === NS.chatStates);
    if (state) {
      await take(this.deps.limits.typing, remote.id);
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
        const remote = await this.contacts.contact(site, address, true);
        if (!remote) throw unavailable();
        await take(limits.buddyRequests, remote.id);
        // Asked already, or buddies: XMPP expects an answer all the same.
        const entry = await roster.request(remote, local.id);
        if (entry?.state === 'accepted') {
          await this.link.send(xml('presence', { type: 'subscribed', from: stanza.attrs.to, to: address }));
        }
        return;
      }
      case 'subscribed': {
        const remote = await this.contacts.contact(site, address, false);
        if (!remote) return;
        const { ab } = await this.deps.store.relation(remote.id, local.id);
        if (ab?.state === 'pending') await roster.accept(remote, local.id);
        return;
      }
      case 'unsubscribe': {
        // The contact no longer wants the Parley user's presence: they removed them, or take
        // back their request.
        const remote = await this.contacts.contact(site, address, false);
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
        const remote = await this.contacts.contact(site, address, false);
        if (!remote) return;
        const { ab } = await this.deps.store.relation(remote.id, local.id);
        if (ab?.state === 'pending') await roster.decline(remote, local.id);
        return;
      }
      case 'probe': {
        const remote = await this.contacts.contact(site, address, false);
        if (!remote || !(await this.deps.relations.mutualBuddies(local.id)).has(remote.id)) return;
        await this.link.send(presenceStanza(stanza.attrs.to!, address, await presence.visible(local)));
        return;
      }
      case 'unavailable': {
        const remote = this.contacts.atAddress(site.id, address);
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
        const remote = await this.contacts.contact(site, address, false);
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

  /** Disconnected: nobody on XMPP is known to be online any more (their presence comes back with probes). */
  wentOffline(): void {
    for (const userId of this.resources.keys()) this.deps.presence.disconnect(userId);
    this.resources.clear();
  }
}
