import { describe, expect, it } from 'vitest';
import type { ChatMessage } from '@parley/backend/protocol';
import { initialSearch, reduceSearch, type SearchAction, type SearchState } from './message-search.js';

const result = (n: number): ChatMessage => ({
  id: `m${String(n).padStart(4, '0')}`,
  clientId: `c${n}`,
  conversationId: 'dm:a:b',
  senderId: 'a',
  recipientId: 'b',
  content: { kind: 'text', text: `meet at ${n}` },
  createdAt: new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString(),
});
const run = (...actions: SearchAction[]): SearchState => actions.reduce(reduceSearch, initialSearch);
const page = (query: string, from: number, count: number, hasMore: boolean, before?: string): SearchAction => ({
  type: 'results',
  query,
  ...(before ? { before } : {}),
  results: Array.from({ length: count }, (_, i) => result(from - i)),
  hasMore,
});

describe('message search state', () => {
  it('shows the first page, then the next one after it', () => {
    const first = run({ type: 'searching', query: 'meet' }, page('meet', 100, 20, true));
    expect(first).toMatchObject({ query: 'meet', status: 'done', hasMore: true });
    expect(first.results).toHaveLength(20);
    const before = first.results.at(-1)!.id;
    const next = page('meet', 80, 5, false, before);
    const second = [{ type: 'searching', query: 'meet', before } as SearchAction, next].reduce(reduceSearch, first);
    const added = next.type === 'results' ? next.results : [];
    expect(second.results.map((r) => r.id)).toEqual([...first.results, ...added].map((r) => r.id));
    expect(second).toMatchObject({ hasMore: false, status: 'done' });
  });

  it('drops answers to an earlier query (typing on), and pages for results no longer shown', () => {
    const state = run(
      { type: 'searching', query: 'me' },
      { type: 'searching', query: 'meet' },
      page('me', 100, 20, true),
    );
    expect(state).toMatchObject({ query: 'meet', status: 'searching', results: [] });
    const done = reduceSearch(state, page('meet', 50, 1, false));
    expect(done.results).toHaveLength(1);
    // A "more" for a last result that is not this one's is ignored.
    expect(reduceSearch(done, { type: 'searching', query: 'meet', before: 'm9999' })).toBe(done);
    expect(reduceSearch(done, page('meet', 40, 3, false, 'm0050'))).toBe(done);
  });

  it('says nothing was found with an empty page, and that a search failed', () => {
    expect(run({ type: 'searching', query: 'zebra' }, page('zebra', 0, 0, false))).toMatchObject({
      status: 'done',
      results: [],
    });
    expect(run({ type: 'searching', query: 'zebra' }, { type: 'failed', query: 'zebra' }).status).toBe('failed');
    expect(run({ type: 'searching', query: 'x' }, { type: 'clear' })).toBe(initialSearch);
  });

  it('keeps one copy of a result that two pages both hold', () => {
    const first = run({ type: 'searching', query: 'meet' }, page('meet', 30, 3, true));
    const before = first.results.at(-1)!.id;
    const next = [{ type: 'searching', query: 'meet', before }, page('meet', 28, 3, false, before)] as SearchAction[];
    expect(next.reduce(reduceSearch, first).results.map((r) => r.id)).toEqual([
      'm0030',
      'm0029',
      'm0028',
      'm0027',
      'm0026',
    ]);
  });
});
