import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { signal } from '@preact/signals-core';
import { reduce, roomKey, type Conversations } from './conversations.js';
import type { FeatureContext } from './feature.js';
import { typing } from './typing.js';

/** A feature needs only its context: here a fake connection that records requests and plays events. */
function fakeContext() {
  const handlers = new Map<string, (data: never) => void>();
  const requests: [string, unknown][] = [];
  const resets: (() => void)[] = [];
  const state = signal<Conversations>(new Map());
  const context = {
    on: (event: string, handler: (data: never) => void) => (handlers.set(event, handler), () => undefined),
    request: (event: string, payload: unknown) => (requests.push([event, payload]), Promise.resolve({})),
    me: signal(null),
    conversations: { state, dispatch: (a: Parameters<typeof reduce>[1]) => (state.value = reduce(state.value, a)) },
    screen: { isVisible: () => false, openChats: () => [] },
    onReady: () => undefined,
    onSynced: () => undefined,
    onReset: (fn: () => void) => void resets.push(fn),
    onStop: () => undefined,
  } as unknown as FeatureContext;
  const push = (event: string, data: unknown) => handlers.get(event)!(data as never);
  return { context, requests, state, push, reset: () => resets.forEach((fn) => fn()) };
}

describe('typing (a feature through client.use)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('sends typing:set with the conversation key, at most every few seconds, and a stop once', () => {
    const { context, requests } = fakeContext();
    const api = typing(context);
    api.typing(roomKey('r1'), true);
    api.typing(roomKey('r1'), true);
    vi.advanceTimersByTime(3000);
    api.typing(roomKey('r1'), true);
    api.typing(roomKey('r1'), false);
    api.typing(roomKey('r1'), false);
    expect(requests).toEqual([
      ['typing:set', { in: { kind: 'room', id: 'r1' }, typing: true }],
      ['typing:set', { in: { kind: 'room', id: 'r1' }, typing: true }],
      ['typing:set', { in: { kind: 'room', id: 'r1' }, typing: false }],
    ]);
  });

  it('after a send, stopping is left to the server', () => {
    const { context, requests } = fakeContext();
    const api = typing(context);
    api.typing('bob', true);
    api.sent('bob');
    api.typing('bob', false);
    expect(requests).toEqual([['typing:set', { in: { kind: 'direct', id: 'bob' }, typing: true }]]);
  });

  it('shows who is typing where, and clears a typer not heard of again', () => {
    const { context, state, push } = fakeContext();
    typing(context);
    push('typing:changed', { userId: 'bob', typing: true, in: { kind: 'direct', id: 'bob' } });
    push('typing:changed', { userId: 'kate', typing: true, in: { kind: 'room', id: 'r1' } });
    expect(state.value.get('bob')!.typing).toEqual(['bob']);
    expect(state.value.get(roomKey('r1'))!.typing).toEqual(['kate']);
    vi.advanceTimersByTime(6000);
    expect(state.value.get('bob')!.typing).toEqual([]);
    expect(state.value.get(roomKey('r1'))!.typing).toEqual([]);
  });
});
