// xmpp.js has no types: the declarations come with this file, so every project that compiles it
// (backend, e2e, bench) has them without listing them. An import cannot bring ambient ones.
// oxlint-disable-next-line typescript/triple-slash-reference
/// <reference path="./xmpp-modules.d.ts" />
import { xml, type Element } from '@xmpp/component';
import { ErrorCode, REACTIONS, type ChosenPresence, type MessageContent, type Presence } from '../../protocol/index.js';
import { ParleyError } from '../../errors.js';
import type { Limiter } from '../../services/rate-limiter.js';

// The gateway's vocabulary, used both ways: namespaces, the XMPP errors that services' refusals
// become, and how presence, content and reactions map.

export const NETWORK = 'xmpp';
export const NS = {
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
export const FEATURES = [
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
export const RETRACT_FALLBACK =
  "This person attempted to retract a previous message, but it's unsupported by your client.";

/** A stanza refused: the XMPP error it answers with. */
export class StanzaError extends Error {
  constructor(
    readonly type: 'cancel' | 'modify' | 'wait' | 'auth',
    readonly condition: string,
    readonly blocked = false,
  ) {
    super(condition);
  }
}
export const unavailable = () => new StanzaError('cancel', 'service-unavailable');

/** A service's refusal as an XMPP error (the same code every transport sees). */
export function toStanzaError(err: unknown): StanzaError | null {
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
export function chosenOf(show: string | null): ChosenPresence {
  if (show === 'away' || show === 'xa') return 'away';
  if (show === 'dnd') return 'busy';
  return 'online';
}
export const SHOW: Record<Presence['state'], string | null> = {
  online: null,
  away: 'away',
  busy: 'dnd',
  offline: null,
};

/** What XMPP shows of a message's content as its body; null for what has none (a tombstone). */
export function textOf(c: MessageContent): string | null {
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
export function withoutFallback(stanza: Element, body: string, forNs: string): string {
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
export const plainEmoji = (emoji: string) => emoji.replace(/\uFE0F/g, '');
export const REACTION_OF = new Map<string, (typeof REACTIONS)[number]>(REACTIONS.map((e) => [plainEmoji(e), e]));

/** A Parley user's presence as XMPP presence from `from` to `to`. */
export function presenceStanza(from: string, to: string, presence: Presence): Element {
  if (presence.state === 'offline') return xml('presence', { type: 'unavailable', from, to });
  const show = SHOW[presence.state];
  return xml(
    'presence',
    { from, to },
    show ? xml('show', {}, show) : null,
    presence.status ? xml('status', {}, presence.status) : null,
  );
}

/** The error stanza answering `stanza`. */
export function errorReply(stanza: Element, refusal: StanzaError): Element {
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

/** Takes one from `limiter` for `key`, or refuses the stanza (`resource-constraint`). */
export async function take(limiter: Limiter, key: string): Promise<void> {
  if (!(await limiter.take(key))) throw new StanzaError('wait', 'resource-constraint');
}
