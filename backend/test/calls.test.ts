import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ErrorCode,
  Limits,
  type CallEnded,
  type CallIncoming,
  type CallLog,
  type CallSignal,
  type IceConfig,
  type MessageContent,
} from '../src/protocol/index.js';
import { addUser, codeOf, messagesOf, sleep, useServer, waitFor, type SignedIn } from './support.js';

/**
 * Calls: signalling between two mutual buddies over the real server (ring on every device of the
 * callee, accept on one, relay only between the pair, every way a call ends), the call-log message
 * both conversations get, ICE servers with coturn's TURN credentials, and the refusals.
 */
const TURN_SECRET = 'calls-test-turn-secret';
const RING_MS = 2000;
const server = useServer({
  sites: [{ id: 'elsewhere' }],
  config: {
    callRingMs: RING_MS,
    ice: {
      stunUrls: ['stun:stun.parley.test:3478'],
      turnUrls: ['turn:127.0.0.1:3478?transport=udp'],
      turnSecret: TURN_SECRET,
      turnTtlSeconds: 600,
    },
  },
});

/** What one device hears of calls. */
interface CallEvents {
  incoming: CallIncoming[];
  accepted: string[];
  signals: { callId: string; signal: CallSignal }[];
  ended: CallEnded[];
}

type Device = SignedIn & { calls: CallEvents };

function listen(client: SignedIn): Device {
  const calls: CallEvents = { incoming: [], accepted: [], signals: [], ended: [] };
  client.socket.on('call:incoming', (c) => calls.incoming.push(c));
  client.socket.on('call:accepted', ({ callId }) => calls.accepted.push(callId));
  client.socket.on('call:signal', (s) => calls.signals.push(s));
  client.socket.on('call:ended', (e) => calls.ended.push(e));
  return Object.assign(client, { calls });
}

let n = 0;
/** Fresh mutual buddies, so tests do not see each other's calls: the caller with one device, the callee with two. */
async function buddies(): Promise<{ a: Device; b1: Device; b2: Device; ids: { a: string; b: string } }> {
  n++;
  const a = await server.user(`caller${n}`);
  const b = await server.user(`callee${n}`, { buddies: [`caller${n}`] });
  return {
    a: listen(await a.connect()),
    b1: listen(await b.connect()),
    b2: listen(await b.connect()),
    ids: { a: a.id, b: b.id },
  };
}

const offer: CallSignal = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\n' };
const answerSdp: CallSignal = { type: 'answer', sdp: 'v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\ns=-\r\n' };
const candidate: CallSignal = {
  type: 'candidate',
  candidate: { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host', sdpMid: '0', sdpMLineIndex: 0 },
};

const callLogs = (device: SignedIn): CallLog[] =>
  messagesOf(device.entries).flatMap((e) =>
    e.message.content.kind === 'call' ? [(e.message.content as Extract<MessageContent, { kind: 'call' }>).call] : [],
  );

async function invite(from: Device, to: string, kind: 'audio' | 'video' = 'video') {
  return from.ok('call:invite', { to, kind });
}

function expectTurn(ice: IceConfig, userId: string): void {
  expect(ice.iceServers[0]).toEqual({ urls: ['stun:stun.parley.test:3478'] });
  const turn = ice.iceServers[1]!;
  expect(turn.urls).toEqual(['turn:127.0.0.1:3478?transport=udp']);
  const [expiry, user] = turn.username!.split(':');
  expect(user).toBe(userId);
  // Expiry honoured: TURN_TTL_SECONDS from now, and what the client is told.
  expect(Number(expiry) - Date.now() / 1000).toBeGreaterThan(590);
  expect(Number(expiry) - Date.now() / 1000).toBeLessThanOrEqual(601);
  expect(ice.expiresAt).toBe(new Date(Number(expiry) * 1000).toISOString());
  // coturn's use-auth-secret: password = base64(HMAC-SHA1(static-auth-secret, username)).
  expect(turn.credential).toBe(createHmac('sha1', TURN_SECRET).update(turn.username!).digest('base64'));
}

describe('a call between two buddies', () => {
  it('rings on every device, is answered on one, relays signalling only between the pair, and logs its duration', async () => {
    const { a, b1, b2, ids } = await buddies();
    const { callId, ice } = await invite(a, ids.b);
    expectTurn(ice, ids.a);

    // Both of bob's devices ring, each with ICE servers made for bob.
    await waitFor(() => b1.calls.incoming.length === 1 && b2.calls.incoming.length === 1, 5000, 'both devices ring');
    for (const device of [b1, b2]) {
      const ring = device.calls.incoming[0]!;
      expect(ring).toMatchObject({ callId, kind: 'video', from: { id: ids.a, username: a.ready.user.username } });
      expect(ring.transfer).toBeUndefined();
      expectTurn(ring.ice, ids.b);
    }
    expect(a.calls.incoming).toEqual([]);

    // Bob accepts on his first device: alice hears it, his second device stops ringing.
    const answered = await b1.ok('call:answer', { callId, accept: true });
    expectTurn(answered.ice!, ids.b);
    await waitFor(() => a.calls.accepted.includes(callId), 5000, 'call:accepted');
    await waitFor(() => b2.calls.ended.length === 1, 5000, 'answered_elsewhere');
    expect(b2.calls.ended[0]).toEqual({ callId, reason: 'answered_elsewhere' });
    expect(b1.calls.ended).toEqual([]);
    // The device that was beaten to it cannot answer any more.
    expect(await codeOf(b2.request('call:answer', { callId, accept: true }))).toBe(ErrorCode.NotFound);

    // Signalling flows between alice's device and b1 only.
    await a.ok('call:signal', { callId, signal: offer });
    await a.ok('call:signal', { callId, signal: candidate });
    await waitFor(() => b1.calls.signals.length === 2, 5000, 'offer and candidate at b1');
    expect(b1.calls.signals).toEqual([
      { callId, signal: offer },
      { callId, signal: candidate },
    ]);
    await b1.ok('call:signal', { callId, signal: answerSdp });
    await b1.ok('call:signal', { callId, signal: { type: 'candidate', candidate: null } });
    await waitFor(() => a.calls.signals.length === 2, 5000, 'answer at alice');
    expect(a.calls.signals.map((s) => s.signal.type)).toEqual(['answer', 'candidate']);
    // The other device of bob is no part of the call.
    expect(await codeOf(b2.request('call:signal', { callId, signal: answerSdp }))).toBe(ErrorCode.NotFound);
    await sleep(150);
    expect(b2.calls.signals).toEqual([]);

    // Alice hangs up after a while: bob hears it with the duration; both conversations get the log.
    await sleep(200);
    await a.ok('call:hangup', { callId });
    await waitFor(() => b1.calls.ended.length === 1, 5000, 'hangup at b1');
    const ended = b1.calls.ended[0]!;
    expect(ended).toMatchObject({ callId, reason: 'hangup' });
    expect(ended.durationMs).toBeGreaterThanOrEqual(300);
    expect(a.calls.ended).toEqual([]); // the device that hung up knows
    for (const device of [a, b1, b2]) await waitFor(() => callLogs(device).length === 1, 5000, 'the call log');
    const log = callLogs(a)[0]!;
    expect(log).toEqual({ callId, media: 'video', outcome: 'completed', durationMs: ended.durationMs });
    expect(callLogs(b1)).toEqual([log]);
    // Stored in the conversation as a message from the caller, read back through history too.
    const history = await b1.ok('message:history', { in: { kind: 'direct', id: ids.a } });
    expect(history.messages).toHaveLength(1);
    expect(history.messages[0]).toMatchObject({
      senderId: ids.a,
      clientId: `call:${callId}`,
      content: { kind: 'call', call: log },
    });
    // It is over: nothing more goes through it.
    expect(await codeOf(a.request('call:signal', { callId, signal: offer }))).toBe(ErrorCode.NotFound);
    expect(await codeOf(b1.request('call:hangup', { callId }))).toBe(ErrorCode.NotFound);
  });

  it('declined: the caller hears it, the other devices stop ringing, the log says declined', async () => {
    const { a, b1, b2, ids } = await buddies();
    const { callId } = await invite(a, ids.b, 'audio');
    await waitFor(() => b2.calls.incoming.length === 1, 5000, 'ring');
    expect(await b2.ok('call:answer', { callId, accept: false })).toEqual({ ice: null });
    await waitFor(() => a.calls.ended.length === 1 && b1.calls.ended.length === 1, 5000, 'declined');
    expect(a.calls.ended[0]).toEqual({ callId, reason: 'declined' });
    expect(b1.calls.ended[0]).toEqual({ callId, reason: 'declined' });
    await waitFor(() => callLogs(a).length === 1 && callLogs(b2).length === 1, 5000, 'log');
    expect(callLogs(a)[0]).toEqual({ callId, media: 'audio', outcome: 'declined' });
    expect(await codeOf(b1.request('call:answer', { callId, accept: true }))).toBe(ErrorCode.NotFound);
  });

  it('cancelled by the caller before an answer: the devices stop ringing, a missed call', async () => {
    const { a, b1, b2, ids } = await buddies();
    const { callId } = await invite(a, ids.b);
    await waitFor(() => b1.calls.incoming.length === 1, 5000, 'ring');
    await a.ok('call:hangup', { callId });
    await waitFor(() => b1.calls.ended.length === 1 && b2.calls.ended.length === 1, 5000, 'cancelled');
    expect(b1.calls.ended[0]).toEqual({ callId, reason: 'cancelled' });
    expect(b2.calls.ended[0]).toEqual({ callId, reason: 'cancelled' });
    await waitFor(() => callLogs(b1).length === 1, 5000, 'log');
    expect(callLogs(b1)[0]).toEqual({ callId, media: 'video', outcome: 'missed' });
    expect(await codeOf(b1.request('call:answer', { callId, accept: true }))).toBe(ErrorCode.NotFound);
  });

  it('unanswered: times out on both sides after the ring time, a missed call', async () => {
    const { a, b1, b2, ids } = await buddies();
    const started = Date.now();
    const { callId } = await invite(a, ids.b);
    await waitFor(() => a.calls.ended.length === 1, RING_MS + 5000, 'timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(RING_MS - 50);
    expect(a.calls.ended[0]).toEqual({ callId, reason: 'timeout' });
    await waitFor(() => b1.calls.ended.length === 1 && b2.calls.ended.length === 1, 5000, 'timeout at bob');
    expect(b1.calls.ended[0]).toEqual({ callId, reason: 'timeout' });
    await waitFor(() => callLogs(a).length === 1, 5000, 'log');
    expect(callLogs(a)[0]).toEqual({ callId, media: 'video', outcome: 'missed' });
  });

  it('a device that goes away mid-call ends it: the other hears disconnected, the log says failed with the duration', async () => {
    const { a, b1, ids } = await buddies();
    const { callId } = await invite(a, ids.b);
    await waitFor(() => b1.calls.incoming.length === 1, 5000, 'ring');
    await b1.ok('call:answer', { callId, accept: true });
    await sleep(100);
    b1.close();
    await waitFor(() => a.calls.ended.length === 1, 5000, 'disconnected');
    expect(a.calls.ended[0]).toMatchObject({ callId, reason: 'disconnected' });
    await waitFor(() => callLogs(a).length === 1, 5000, 'log');
    expect(callLogs(a)[0]).toMatchObject({ callId, outcome: 'failed' });
    expect(callLogs(a)[0]!.durationMs).toBeGreaterThanOrEqual(100);
    // Alice is free again.
    const again = await invite(a, ids.b);
    await a.ok('call:hangup', { callId: again.callId });
  });

  it('busy: nobody can call a user in a call, nor call while in one', async () => {
    n++;
    // All three are buddies before anyone connects (buddies are cached from the connect).
    const alice = await server.user(`busy-a${n}`);
    const bob = await server.user(`busy-b${n}`, { buddies: [`busy-a${n}`] });
    const carol = await server.user(`busy-c${n}`, { buddies: [`busy-a${n}`, `busy-b${n}`] });
    const ids = { a: alice.id, b: bob.id };
    const a = listen(await alice.connect());
    const b1 = listen(await bob.connect());
    const c = listen(await carol.connect());
    const { callId } = await invite(a, ids.b);
    await waitFor(() => b1.calls.incoming.length === 1, 5000, 'ring');
    // Ringing counts as busy, and so does an answered call.
    expect(await codeOf(c.request('call:invite', { to: ids.b, kind: 'audio' }))).toBe(ErrorCode.CalleeBusy);
    await b1.ok('call:answer', { callId, accept: true });
    expect(await codeOf(c.request('call:invite', { to: ids.a, kind: 'audio' }))).toBe(ErrorCode.CalleeBusy);
    expect(await codeOf(a.request('call:invite', { to: carol.id, kind: 'video' }))).toBe(ErrorCode.CalleeBusy);
    await sleep(100);
    expect(b1.calls.incoming).toHaveLength(1);
    expect(a.calls.incoming).toEqual([]);
    await b1.ok('call:hangup', { callId });
    await waitFor(() => a.calls.ended.length === 1, 5000, 'hangup');
    expect(a.calls.ended[0]).toMatchObject({ callId, reason: 'hangup' });
    // Free again: carol gets through.
    const next = await c.ok('call:invite', { to: ids.b, kind: 'audio' });
    await c.ok('call:hangup', { callId: next.callId });
  });

  it('a callee with no device online: the invite fails callee_unavailable, and they find a missed call later', async () => {
    n++;
    const alice = await server.user(`offline-caller${n}`);
    const bob = await server.user(`offline-callee${n}`, { buddies: [`offline-caller${n}`] });
    const a = listen(await alice.connect());
    expect(await codeOf(a.request('call:invite', { to: bob.id, kind: 'audio' }))).toBe(ErrorCode.CalleeUnavailable);
    await waitFor(() => callLogs(a).length === 1, 5000, 'the log at alice');
    expect(callLogs(a)[0]).toMatchObject({ media: 'audio', outcome: 'missed' });
    // Bob comes online later and syncs his inbox: the missed call is there, from alice.
    const b = await bob.connect();
    const missed = messagesOf(await b.syncAll(0)).filter((e) => e.message.content.kind === 'call');
    expect(missed).toHaveLength(1);
    expect(missed[0]!.message.senderId).toBe(alice.id);
    expect(missed[0]!.message.content).toEqual({ kind: 'call', call: callLogs(a)[0] });
  });

  it('a direct file transfer: the offer is in the ring, the same flow, no call log', async () => {
    const { a, b1, b2, ids } = await buddies();
    const transfer = { name: 'report.pdf', size: 5 * 1024 * 1024, mime: 'application/pdf' };
    const { callId } = await a.ok('call:invite', { to: ids.b, kind: 'data', transfer });
    await waitFor(() => b1.calls.incoming.length === 1 && b2.calls.incoming.length === 1, 5000, 'ring');
    expect(b1.calls.incoming[0]).toMatchObject({ callId, kind: 'data', transfer });
    await b2.ok('call:answer', { callId, accept: true });
    await waitFor(() => a.calls.accepted.includes(callId), 5000, 'accepted');
    await a.ok('call:signal', { callId, signal: offer });
    await waitFor(() => b2.calls.signals.length === 1, 5000, 'offer');
    // A transfer does not make anyone busy for a call.
    const call = await invite(a, ids.b, 'audio');
    await a.ok('call:hangup', { callId: call.callId });
    await b2.ok('call:hangup', { callId });
    await waitFor(() => a.calls.ended.some((e) => e.callId === callId), 5000, 'transfer ended');
    await sleep(200);
    expect(callLogs(a).map((l) => l.callId)).toEqual([call.callId]);
  });
});

describe('refusals (issue 17, must show 5)', () => {
  it('refuses non-buddies, other sites, blocked users, oversized SDP and calls you are not in, and keeps serving', async () => {
    const { a, b1, ids } = await buddies();
    const stranger = await server.user(`stranger${n}`);
    const s = listen(await stranger.connect());
    const other = await addUser(server, `elsewhere${n}`, { site: 'elsewhere' });
    const carol = await server.user(`blocked-carol${n}`, { buddies: [b1.ready.user.username] });
    const c = listen(await carol.connect());
    await b1.ok('roster:block', { userId: carol.id });

    // Not buddies: forbidden; another site's user or an unknown id: not_found; yourself: bad_request.
    expect(await codeOf(s.request('call:invite', { to: ids.b, kind: 'audio' }))).toBe(ErrorCode.Forbidden);
    expect(await codeOf(a.request('call:invite', { to: stranger.id, kind: 'video' }))).toBe(ErrorCode.Forbidden);
    expect(await codeOf(a.request('call:invite', { to: other.id, kind: 'audio' }))).toBe(ErrorCode.NotFound);
    expect(await codeOf(a.request('call:invite', { to: 'no-such-user', kind: 'audio' }))).toBe(ErrorCode.NotFound);
    // Blocked by the callee: the same answer as a non-buddy, so the block is not revealed.
    expect(await codeOf(c.request('call:invite', { to: ids.b, kind: 'audio' }))).toBe(ErrorCode.Forbidden);
    expect(await codeOf(b1.request('call:invite', { to: carol.id, kind: 'audio' }))).toBe(ErrorCode.Blocked);
    expect(await codeOf(a.request('call:invite', { to: ids.a, kind: 'audio' }))).toBe(ErrorCode.BadRequest);
    // A transfer larger than a direct link takes is refused by the schema.
    expect(
      await codeOf(
        a.request('call:invite', {
          to: ids.b,
          kind: 'data',
          transfer: { name: 'big.iso', size: Limits.transferBytes + 1, mime: 'application/octet-stream' },
        }),
      ),
    ).toBe(ErrorCode.BadRequest);
    await sleep(150);
    expect(b1.calls.incoming).toEqual([]);

    // A real call, then: oversized SDP, an over-long candidate, and outsiders signalling into it.
    const { callId } = await invite(a, ids.b);
    await waitFor(() => b1.calls.incoming.length === 1, 5000, 'ring');
    // Before the answer the caller has nobody to signal to.
    expect(await codeOf(a.request('call:signal', { callId, signal: offer }))).toBe(ErrorCode.BadRequest);
    await b1.ok('call:answer', { callId, accept: true });
    const huge = { type: 'offer', sdp: 'a'.repeat(Limits.sdp + 1) };
    expect(await codeOf(a.request('call:signal', { callId, signal: huge }))).toBe(ErrorCode.BadRequest);
    const longCandidate = { type: 'candidate', candidate: { candidate: 'c'.repeat(Limits.iceCandidate + 1) } };
    expect(await codeOf(a.request('call:signal', { callId, signal: longCandidate }))).toBe(ErrorCode.BadRequest);
    expect(await codeOf(s.request('call:signal', { callId, signal: offer }))).toBe(ErrorCode.NotFound);
    expect(await codeOf(s.request('call:hangup', { callId }))).toBe(ErrorCode.NotFound);
    expect(await codeOf(s.request('call:answer', { callId, accept: true }))).toBe(ErrorCode.NotFound);
    expect(await codeOf(c.request('call:signal', { callId: 'no-such-call', signal: offer }))).toBe(ErrorCode.NotFound);
    await sleep(150);
    expect(b1.calls.signals).toEqual([]);

    // Still serving: the call goes on, and the server answers everyone.
    await a.ok('call:signal', { callId, signal: { type: 'offer', sdp: 'a'.repeat(Limits.sdp) } });
    await waitFor(() => b1.calls.signals.length === 1, 5000, 'the offer at the limit');
    await a.ok('call:hangup', { callId });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    expect(a.socket.connected && b1.socket.connected && s.socket.connected && c.socket.connected).toBe(true);
    expect(await s.ok('call:ice', {})).toMatchObject({ iceServers: [{ urls: ['stun:stun.parley.test:3478'] }, {}] });
  });
});
