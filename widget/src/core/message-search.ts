import type { ChatMessage, ReplyData } from '@parley/backend/protocol';
import { Limits } from '@parley/backend/protocol/constants';
import type { Request } from './connection.js';
import { conversationKey } from './conversations.js';

/**
 * Searching one conversation's history (`message:search`): the request, and the state of a search
 * as a pure reducer (the search bar keeps one per open chat). Answers to an earlier query, or to a
 * page asked for before the results changed, are dropped, so typing fast never shows stale results.
 */
export interface SearchState {
  /** The query the results are for (trimmed); "" before the first search. */
  query: string;
  /** Newest first. */
  results: ChatMessage[];
  hasMore: boolean;
  /** `searching`: the first page is on its way; `more`: a further page. */
  status: 'idle' | 'searching' | 'more' | 'done' | 'failed';
}

export type SearchAction =
  /** A search starts (`before` absent), or its next page (`before`: the last result's id). */
  | { type: 'searching'; query: string; before?: string }
  | { type: 'results'; query: string; before?: string; results: ChatMessage[]; hasMore: boolean }
  | { type: 'failed'; query: string; before?: string }
  | { type: 'clear' };

export const initialSearch: SearchState = { query: '', results: [], hasMore: false, status: 'idle' };

/** Whether an answer for (`query`, `before`) still fits what `state` shows. */
const current = (state: SearchState, query: string, before: string | undefined) =>
  state.query === query && (before === undefined ? state.status === 'searching' : state.status === 'more');

export function reduceSearch(state: SearchState, action: SearchAction): SearchState {
  switch (action.type) {
    case 'searching':
      if (action.before === undefined) return { query: action.query, results: [], hasMore: false, status: 'searching' };
      if (action.query !== state.query || action.before !== state.results.at(-1)?.id) return state;
      return { ...state, status: 'more' };
    case 'results':
      if (!current(state, action.query, action.before)) return state;
      return {
        query: action.query,
        // A page may repeat a result (a message stored meanwhile with the same time): keep one.
        results: [...state.results, ...action.results.filter((r) => !state.results.some((k) => k.id === r.id))],
        hasMore: action.hasMore,
        status: 'done',
      };
    case 'failed':
      return current(state, action.query, action.before) ? { ...state, status: 'failed' } : state;
    case 'clear':
      return state.status === 'idle' && state.query === '' ? state : initialSearch;
  }
}

/** One page of messages in the conversation `key` whose text contains `query`, newest first. */
export const searchMessages =
  (request: Request) =>
  (key: string, query: string, before?: string): Promise<ReplyData['message:search']> =>
    request('message:search', {
      in: conversationKey(key),
      query,
      ...(before ? { before } : {}),
      limit: Limits.searchPage,
    });
