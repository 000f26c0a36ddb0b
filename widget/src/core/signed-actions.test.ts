import { describe, expect, it } from 'vitest';
import type { ErrorBody, SessionReady } from '@parley/backend/protocol';
import type { Request } from './connection.js';
import type { Lifecycle } from './feature.js';
import { signedRequests, type SignAction } from './signed-actions.js';

/** A request function that answers like the server does for a site listing `listed`, and records what it was sent. */
function server(listed: string[]) {
  const sent: { event: string; payload: Record<string, unknown> }[] = [];
  const request = (async (event: string, payload: Record<string, unknown>) => {
    sent.push({ event, payload });
    const action = event === 'room:join' ? 'room:join' : event === 'roster:request' ? 'buddy:add' : null;
    if (action && listed.includes(action)) {
      if (payload.actionToken === undefined)
        throw Object.assign(new Error('needed'), { code: 'action_token_required' });
      if (payload.actionToken === 'stale') throw Object.assign(new Error('expired'), { code: 'action_token_expired' });
    }
    return { ok: true };
  }) as unknown as Request;
  return { request, sent };
}

function lifecycle() {
  const ready: ((r: SessionReady) => unknown)[] = [];
  const reset: ((p: ErrorBody | null) => void)[] = [];
  const hooks: Lifecycle = {
    onReady: (fn) => void ready.push(fn),
    onSynced: () => undefined,
    onReset: (fn) => void reset.push(fn),
    onStop: () => undefined,
  };
  return { hooks, ready: (signedActions: string[]) => ready.forEach((fn) => fn({ signedActions } as never)) };
}

describe('signed requests', () => {
  it('asks the page for a token for the listed actions only, with the action and its resource', async () => {
    const { request, sent } = server(['room:join']);
    const asked: unknown[] = [];
    const sign: SignAction = async (r) => (asked.push(r), 'tok-1');
    const life = lifecycle();
    const signed = signedRequests(request, sign, life.hooks);
    life.ready(['room:join']);
    await signed.request('room:join', { roomId: 'r1' });
    await signed.request('roster:request', { userId: 'u2' });
    await signed.request('room:leave', { roomId: 'r1' });
    expect(asked).toEqual([{ action: 'room:join', resource: 'r1' }]);
    expect(sent.map((s) => s.payload)).toEqual([
      { roomId: 'r1', actionToken: 'tok-1' },
      { userId: 'u2' },
      { roomId: 'r1' },
    ]);
    expect(signed.actionProblem.value).toBeNull();
  });

  it('signs and sends again when the server newly requires a token or the token expired on the way', async () => {
    const { request, sent } = server(['buddy:add', 'room:join']);
    const tokens = ['stale', 'fresh', 'tok'];
    const signed = signedRequests(request, async () => tokens.shift()!, lifecycle().hooks);
    await signed.request('roster:request', { userId: 'u2' }); // not announced: refused, then signed
    expect(sent.map((s) => s.payload.actionToken)).toEqual([undefined, 'stale', 'fresh']);
    await signed.request('roster:request', { userId: 'u3' }); // now known: signed at once
    expect(sent.at(-1)!.payload).toEqual({ userId: 'u3', actionToken: 'tok' });
  });

  it('without a signer, or when the page refuses, fails the request with a clear message and sets the problem', async () => {
    const { request } = server(['room:join']);
    const life = lifecycle();
    const unsigned = signedRequests(request, undefined, life.hooks);
    life.ready(['room:join']);
    await expect(unsigned.request('room:join', { roomId: 'r1' })).rejects.toMatchObject({
      code: 'action_token_required',
      message: expect.stringContaining('signAction'),
    });
    expect(unsigned.actionProblem.value).toEqual({ kind: 'unsigned', action: 'room:join', detail: null });

    const life2 = lifecycle();
    const refused = signedRequests(request, () => Promise.reject(new Error('members only')), life2.hooks);
    life2.ready(['room:join']);
    await expect(refused.request('room:join', { roomId: 'r1' })).rejects.toThrow('members only');
    expect(refused.actionProblem.value).toEqual({ kind: 'denied', action: 'room:join', detail: 'members only' });
    refused.dismissActionProblem();
    expect(refused.actionProblem.value).toBeNull();
  });
});
