import type { ChatMessage } from '@parley/backend/protocol';
import { Limits } from '@parley/backend/protocol/constants';
import { useEffect, useReducer, useRef, useState } from 'preact/hooks';
import { initialSearch, reduceSearch } from '../core/message-search.js';
import { useWidget } from './context.js';
import { SearchResults } from './SearchResults.js';

/** Typing pauses this long before the search goes (Enter searches at once). */
const DEBOUNCE_MS = 350;

export interface SearchBarProps {
  /** The conversation searched (local key). */
  peerId: string;
  /** A sender's name as the chat shows it. */
  nameOf: (userId: string) => string;
  /** Close the bar; `refocus`: give the focus back to the button that opened it (not after a jump). */
  onClose: (refocus: boolean) => void;
}

/**
 * Search in one conversation's history, inside its chat view: a query field, results newest first
 * with sender, time and the text with each match marked, more results page by page, Esc to close.
 * Choosing a result jumps to it in the chat, however far back (client.jumpTo).
 */
export function SearchBar({ peerId, nameOf, onClose }: SearchBarProps) {
  const { client, t } = useWidget();
  const [state, dispatch] = useReducer(reduceSearch, initialSearch);
  const [text, setText] = useState('');
  const field = useRef<HTMLInputElement>(null);
  const timer = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => {
    field.current?.focus();
    return () => clearTimeout(timer.current);
  }, []);

  const search = async (query: string, before?: string) => {
    clearTimeout(timer.current);
    const q = query.trim();
    if (!q) return dispatch({ type: 'clear' });
    const page = before ? { before } : {};
    dispatch({ type: 'searching', query: q, ...page });
    try {
      const found = await client.searchMessages(peerId, q, before);
      dispatch({ type: 'results', query: q, ...page, ...found });
    } catch (err) {
      console.warn('[Parley] message search failed', err);
      dispatch({ type: 'failed', query: q, ...page });
    }
  };

  const choose = (m: ChatMessage) => {
    onClose(false);
    void client.jumpTo(peerId, m.id);
  };

  const { results, status } = state;
  const summary =
    status === 'searching'
      ? t('searching')
      : status === 'failed'
        ? t('searchFailed')
        : status === 'done' || status === 'more'
          ? results.length === 0
            ? t('noMessagesFound')
            : t('resultsFound', { n: state.hasMore ? `${results.length}+` : results.length })
          : '';
  return (
    <div
      class="message-search"
      role="search"
      aria-label={t('searchMessages')}
      onKeyDown={(e) => {
        if (e.key !== 'Escape') return;
        // Only the search closes, not the panel around it.
        e.stopPropagation();
        e.preventDefault();
        onClose(true);
      }}
    >
      <form
        class="message-search-row"
        onSubmit={(e) => {
          e.preventDefault();
          void search(text);
        }}
      >
        <input
          ref={field}
          type="search"
          enterKeyHint="search"
          aria-label={t('searchMessages')}
          placeholder={t('searchMessages')}
          maxLength={Limits.messageSearchQuery}
          value={text}
          onInput={(e) => {
            const value = e.currentTarget.value;
            setText(value);
            clearTimeout(timer.current);
            timer.current = setTimeout(() => void search(value), DEBOUNCE_MS);
          }}
        />
        <button
          type="button"
          class="icon"
          aria-label={t('closeSearch')}
          title={t('closeSearch')}
          onClick={() => onClose(true)}
        >
          ×
        </button>
      </form>
      <p class="message-search-status" role="status">
        {summary}
      </p>
      <SearchResults
        state={state}
        nameOf={nameOf}
        onChoose={choose}
        onMore={() => void search(state.query, results.at(-1)?.id)}
      />
    </div>
  );
}
