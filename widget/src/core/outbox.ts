import type { MessageContent, ReplyRef } from '@parley/backend/protocol';
import { storage } from './storage.js';

interface Queued {
  clientId: string;
  senderId: string;
  /** "" for a room message. */
  recipientId: string;
  /** Set for a room message. */
  roomId?: string;
  content: MessageContent;
  /** A reply: the quote it shows while on its way (its id goes with message:send). */
  replyTo?: ReplyRef;
  createdAt: string;
  state: 'pending';
}

/**
 * Messages the user wrote that the server has not acknowledged yet, saved in localStorage (per
 * site and user) so a reload or a closed tab does not lose them. They are sent again, with the same
 * client id, whenever the connection is back.
 */
export type Outbox = ReturnType<typeof createOutbox>;

export function createOutbox(key: string) {
  let items: Queued[] = [];
  const raw = storage.get(key);
  if (raw) {
    try {
      const parsed = JSON.parse(raw) as unknown;
      if (Array.isArray(parsed)) items = parsed.map(fromVersion1).filter(isQueued);
    } catch {
      storage.remove(key); // unreadable: nothing we can resend from it
    }
  }
  const save = () => (items.length ? storage.set(key, JSON.stringify(items)) : storage.remove(key));

  return {
    all: (): (Queued & { id: null })[] => items.map((m) => ({ ...m, id: null })),
    add(message: Omit<Queued, 'state'>): void {
      const { clientId, senderId, recipientId, roomId, content, replyTo, createdAt } = message;
      items = [
        ...items.filter((m) => m.clientId !== clientId),
        {
          clientId,
          senderId,
          recipientId,
          ...(roomId ? { roomId } : {}),
          content,
          ...(replyTo ? { replyTo } : {}),
          createdAt,
          state: 'pending',
        },
      ];
      save();
    },
    remove(clientId: string): void {
      const before = items.length;
      items = items.filter((m) => m.clientId !== clientId);
      if (items.length !== before) save();
    },
  };
}

function isQueued(value: unknown): value is Queued {
  const v = value as Partial<Queued> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.clientId === 'string' &&
    typeof v.senderId === 'string' &&
    typeof v.recipientId === 'string' &&
    (v.roomId === undefined || typeof v.roomId === 'string') &&
    typeof v.content === 'object' &&
    v.content !== null &&
    typeof v.content.kind === 'string' &&
    (v.replyTo === undefined || isReplyRef(v.replyTo)) &&
    typeof v.createdAt === 'string'
  );
}

function isReplyRef(value: unknown): value is ReplyRef {
  const r = value as Partial<ReplyRef> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.id === 'string' &&
    typeof r.senderId === 'string' &&
    typeof r.kind === 'string' &&
    typeof r.excerpt === 'string'
  );
}

/** An outbox saved by a widget of protocol 1 held `body`; its messages still go out after the update. */
function fromVersion1(value: unknown): unknown {
  const v = value as { body?: unknown; content?: unknown } | null;
  if (typeof v !== 'object' || v === null || typeof v.body !== 'string' || v.content !== undefined) return value;
  const { body, ...rest } = v;
  return { ...rest, content: { kind: 'text', text: body } };
}
