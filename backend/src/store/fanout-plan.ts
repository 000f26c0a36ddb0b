import type { AppendedMessage, InboxRecord, MessageRecord, ReceiptRecord, WriteItem, WriteResult } from './records.js';

/**
 * Who gets which inbox entry for a batch of the hot path, decided without a database: the
 * writer's transaction reads what the plan needs (resends already stored, read markers, room
 * members), asks the plan, reserves the inbox positions it counts, and writes what it says.
 *
 * The rules:
 * - A direct message: one entry for the sender, one for the recipient.
 * - A room message: one entry for the sender, then one for every other member at commit time
 *   (invitees are not members), oldest member first; from someone who is not a member it is
 *   refused and writes nothing.
 * - A resend (same sender and clientId, stored before or earlier in the batch) is a duplicate of
 *   the stored message and writes nothing.
 * - A receipt writes only if it moves its reader's marker forward (reading implies receiving).
 *   A delivered mark goes to the peer; a read mark to the peer and to the reader (their other
 *   tabs clear the unread count). A room receipt has no peer: only the reader's tabs hear of it.
 */

/** How far a user has received and read one conversation ('' for not at all). */
export interface Marker {
  delivered: string;
  read: string;
}

/** What the transaction read before planning. */
export interface FanoutState {
  /** Messages already stored, by `resendKey`. */
  stored: ReadonlyMap<string, MessageRecord>;
  /** The read markers of the batch's receipts, by `markerKey`; missing means none yet. */
  markers: ReadonlyMap<string, Marker>;
  /** The members (not invitees) of each room the batch writes to, oldest first. */
  members: ReadonlyMap<string, readonly string[]>;
}

/** One item of the batch, decided: what it stores and whose inboxes get an entry, in order. */
export type PlannedItem =
  | { type: 'message'; message: MessageRecord; duplicate: boolean; refused?: boolean; owners: string[] }
  | { type: 'receipt'; receipt: ReceiptRecord; advanced: boolean; owners: string[] };

/** The key of a message's (senderId, clientId), which makes resends idempotent. */
export const resendKey = (m: { senderId: string; clientId: string }) => `${m.senderId}\u0000${m.clientId}`;

/** The key of a reader's marker in one conversation. */
export const markerKey = (r: { readerId: string; conversationId: string }) => `${r.readerId}\u0000${r.conversationId}`;

/** The rooms a batch writes to: the members the plan needs are theirs. */
export function roomsOf(batch: readonly WriteItem[]): string[] {
  return [
    ...new Set(
      batch.flatMap((item) =>
        item.type === 'message' && item.message.roomId !== undefined ? [item.message.roomId] : [],
      ),
    ),
  ];
}

/** The plan for a batch, in input order. `state` is not changed. */
export function planFanout(batch: readonly WriteItem[], state: FanoutState): PlannedItem[] {
  const stored = new Map(state.stored);
  const markers = new Map(state.markers);
  return batch.map((item): PlannedItem => {
    if (item.type === 'message') {
      const m = item.message;
      const known = stored.get(resendKey(m));
      if (known) return { type: 'message', message: known, duplicate: true, owners: [] };
      let owners = [m.senderId, m.recipientId];
      if (m.roomId !== undefined) {
        const inRoom = state.members.get(m.roomId) ?? [];
        // Removed (or never a member): the message is refused, nothing is written.
        if (!inRoom.includes(m.senderId)) {
          return { type: 'message', message: m, duplicate: false, refused: true, owners: [] };
        }
        owners = [m.senderId, ...inRoom.filter((id) => id !== m.senderId)];
      }
      stored.set(resendKey(m), m); // a second copy within the batch is a duplicate of this one
      return { type: 'message', message: m, duplicate: false, owners };
    }
    const r = item.receipt;
    const marker = { ...(markers.get(markerKey(r)) ?? { delivered: '', read: '' }) };
    const current = r.kind === 'read' ? marker.read : marker.delivered;
    if (r.upTo <= current) return { type: 'receipt', receipt: r, advanced: false, owners: [] };
    if (r.kind === 'read') marker.read = r.upTo;
    if (r.upTo > marker.delivered) marker.delivered = r.upTo; // reading implies receiving
    markers.set(markerKey(r), marker);
    // The reader's own other tabs learn about reads (unread counts); the peer about both.
    // In a room (no peer) only the reader's tabs hear of it: room read marks are not fanned out.
    const owners = (r.kind === 'read' ? [r.peerId, r.readerId] : [r.peerId]).filter((id) => id !== '');
    return { type: 'receipt', receipt: r, advanced: true, owners };
  });
}

/** How many inbox positions each owner needs for the plan. */
export function inboxNeeds(plan: readonly PlannedItem[]): Map<string, number> {
  const need = new Map<string, number>();
  for (const p of plan) for (const owner of p.owners) need.set(owner, (need.get(owner) ?? 0) + 1);
  return need;
}

/**
 * The inbox entries of each planned item, numbered from each owner's position just before its
 * reserved block (`before`), in plan order: an owner's entries take consecutive positions.
 */
export function placeEntries(plan: readonly PlannedItem[], before: ReadonlyMap<string, number>): InboxRecord[][] {
  const next = new Map(before);
  return plan.map((p): InboxRecord[] =>
    p.owners.map((userId) => {
      const last = next.get(userId);
      if (last === undefined) throw new Error(`fan-out: no inbox position reserved for ${userId}`);
      const seq = last + 1;
      next.set(userId, seq);
      return p.type === 'message'
        ? { userId, seq, kind: 'message', message: p.message }
        : { userId, seq, kind: 'receipt', receipt: p.receipt };
    }),
  );
}

/** What the writer answers for each item of the plan, given the entries placed for it. */
export function writeResults(plan: readonly PlannedItem[], entriesOf: InboxRecord[][]): WriteResult[] {
  return plan.map((p, i): WriteResult =>
    p.type === 'message'
      ? ({
          type: 'message',
          message: p.message,
          duplicate: p.duplicate,
          entries: entriesOf[i]!,
          ...(p.refused ? { refused: true } : {}),
        } as AppendedMessage)
      : { type: 'receipt', advanced: p.advanced, entries: entriesOf[i]! },
  );
}
