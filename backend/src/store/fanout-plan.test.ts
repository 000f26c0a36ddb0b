import { describe, expect, it } from 'vitest';
import {
  inboxNeeds,
  markerKey,
  placeEntries,
  planFanout,
  resendKey,
  roomsOf,
  type FanoutState,
  type Marker,
} from './fanout-plan.js';
import type { MessageRecord, ReceiptRecord, WriteItem } from './records.js';

const at = new Date('2026-12-01T12:00:00Z');

function direct(id: string, senderId: string, recipientId: string, clientId = `c-${id}`): MessageRecord {
  const [a, b] = [senderId, recipientId].sort();
  return { id, siteId: 's', senderId, recipientId, conversationId: `dm:${a}:${b}`, clientId, body: id, createdAt: at };
}

function inRoom(id: string, senderId: string, roomId: string): MessageRecord {
  return {
    id,
    siteId: 's',
    senderId,
    recipientId: '',
    conversationId: `room:${roomId}`,
    clientId: `c-${id}`,
    body: id,
    createdAt: at,
    roomId,
  };
}

function receipt(readerId: string, peerId: string, kind: 'delivered' | 'read', upTo: string): ReceiptRecord {
  return { conversationId: peerId ? `dm:${readerId}:${peerId}` : 'room:r1', readerId, peerId, kind, upTo, at };
}

const msg = (message: MessageRecord): WriteItem => ({ type: 'message', message });
const rcpt = (r: ReceiptRecord): WriteItem => ({ type: 'receipt', receipt: r });

function state(partial: Partial<FanoutState> = {}): FanoutState {
  return { stored: new Map(), markers: new Map(), members: new Map(), ...partial };
}

describe('planFanout', () => {
  it('gives a direct message to its sender, then its recipient', () => {
    const [p] = planFanout([msg(direct('m1', 'alice', 'bob'))], state());
    expect(p).toMatchObject({ type: 'message', duplicate: false, owners: ['alice', 'bob'] });
  });

  it('gives a room message to its sender first, then every other member in their order', () => {
    const members = new Map([['r1', ['carol', 'alice', 'bob']]]);
    const [p] = planFanout([msg(inRoom('m1', 'alice', 'r1'))], state({ members }));
    expect(p).toMatchObject({ duplicate: false, owners: ['alice', 'carol', 'bob'] });
    expect(p).not.toHaveProperty('refused');
  });

  it('refuses a room message from someone who is not a member (invitees are not listed), writing nothing', () => {
    const members = new Map([['r1', ['carol', 'bob']]]);
    const [p, q] = planFanout([msg(inRoom('m1', 'alice', 'r1')), msg(inRoom('m2', 'dave', 'r2'))], state({ members }));
    expect(p).toMatchObject({ refused: true, duplicate: false, owners: [] });
    expect(q).toMatchObject({ refused: true, owners: [] }); // a room with no members at all
  });

  it('answers a resend with the stored message and no entries', () => {
    const stored = direct('m0', 'alice', 'bob', 'same');
    const resend = direct('m9', 'alice', 'bob', 'same');
    const [p] = planFanout([msg(resend)], state({ stored: new Map([[resendKey(stored), stored]]) }));
    expect(p).toEqual({ type: 'message', message: stored, duplicate: true, owners: [] });
  });

  it('treats a second copy within the batch as a duplicate of the first', () => {
    const first = direct('m1', 'alice', 'bob', 'same');
    const second = direct('m2', 'alice', 'bob', 'same');
    const other = direct('m3', 'bob', 'alice', 'same'); // another sender's clientId is another key
    const plan = planFanout([msg(first), msg(second), msg(other)], state());
    expect(plan.map((p) => p.type === 'message' && [p.message.id, p.duplicate])).toEqual([
      ['m1', false],
      ['m1', true], // answered with the first copy
      ['m3', false],
    ]);
    expect(plan[1]!.owners).toEqual([]);
  });

  it('sends a delivered mark to the peer, a read mark to the peer and the reader', () => {
    const plan = planFanout(
      [rcpt(receipt('bob', 'alice', 'delivered', 'm1')), rcpt(receipt('bob', 'alice', 'read', 'm1'))],
      state(),
    );
    expect(plan.map((p) => p.type === 'receipt' && [p.advanced, p.owners])).toEqual([
      [true, ['alice']],
      [true, ['alice', 'bob']],
    ]);
  });

  it("tells only the reader's tabs of a room read mark (no peer)", () => {
    const [p] = planFanout([rcpt(receipt('bob', '', 'read', 'm1'))], state());
    expect(p).toMatchObject({ advanced: true, owners: ['bob'] });
  });

  it('writes nothing for a receipt that does not move the marker forward', () => {
    const r = receipt('bob', 'alice', 'read', 'm5');
    const markers = new Map<string, Marker>([[markerKey(r), { delivered: 'm7', read: 'm5' }]]);
    const plan = planFanout(
      [rcpt(r), rcpt(receipt('bob', 'alice', 'delivered', 'm6')), rcpt(receipt('bob', 'alice', 'read', 'm6'))],
      state({ markers }),
    );
    expect(plan.map((p) => p.type === 'receipt' && p.advanced)).toEqual([false, false, true]);
    expect(markers.get(markerKey(r))).toEqual({ delivered: 'm7', read: 'm5' }); // the state is not changed
  });

  it('counts a read as received, and later receipts in the batch against the moved marker', () => {
    const plan = planFanout(
      [
        rcpt(receipt('bob', 'alice', 'read', 'm5')),
        rcpt(receipt('bob', 'alice', 'delivered', 'm4')),
        rcpt(receipt('bob', 'alice', 'read', 'm5')),
      ],
      state(),
    );
    expect(plan.map((p) => p.type === 'receipt' && p.advanced)).toEqual([true, false, false]);
  });
});

describe('roomsOf', () => {
  it('lists each room a batch writes to once', () => {
    const batch = [
      msg(inRoom('m1', 'a', 'r1')),
      msg(direct('m2', 'a', 'b')),
      msg(inRoom('m3', 'b', 'r1')),
      msg(inRoom('m4', 'a', 'r2')),
    ];
    expect(roomsOf(batch)).toEqual(['r1', 'r2']);
  });
});

describe('inboxNeeds and placeEntries', () => {
  it('numbers each owner’s entries consecutively after their reserved block, in batch order', () => {
    const members = new Map([['r1', ['alice', 'bob', 'carol']]]);
    const plan = planFanout(
      [msg(direct('m1', 'alice', 'bob')), msg(inRoom('m2', 'bob', 'r1')), rcpt(receipt('bob', 'alice', 'read', 'm1'))],
      state({ members }),
    );
    const need = inboxNeeds(plan);
    expect(need).toEqual(
      new Map([
        ['alice', 3],
        ['bob', 3],
        ['carol', 1],
      ]),
    );
    const entries = placeEntries(
      plan,
      new Map([
        ['alice', 10],
        ['bob', 0],
        ['carol', 41],
      ]),
    );
    expect(entries.map((list) => list.map((e) => `${e.userId}:${e.seq}:${e.kind}`))).toEqual([
      ['alice:11:message', 'bob:1:message'],
      ['bob:2:message', 'alice:12:message', 'carol:42:message'],
      ['alice:13:receipt', 'bob:3:receipt'],
    ]);
  });

  it('places nothing for duplicates, refusals and receipts that did not advance', () => {
    const stored = direct('m0', 'alice', 'bob', 'same');
    const plan = planFanout(
      [msg(direct('m1', 'alice', 'bob', 'same')), msg(inRoom('m2', 'eve', 'r1'))],
      state({ stored: new Map([[resendKey(stored), stored]]) }),
    );
    expect(inboxNeeds(plan).size).toBe(0);
    expect(placeEntries(plan, new Map())).toEqual([[], []]);
  });

  it('refuses to number an owner with no reserved block', () => {
    const plan = planFanout([msg(direct('m1', 'alice', 'bob'))], state());
    expect(() => placeEntries(plan, new Map([['alice', 0]]))).toThrow(/bob/);
  });
});
