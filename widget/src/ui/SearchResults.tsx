import type { ChatMessage } from '@parley/backend/protocol';
import type { SearchState } from '../core/message-search.js';
import { contentPreview } from './content-preview.js';
import { useWidget } from './context.js';
import { matchParts } from './search-text.js';

export interface SearchResultsProps {
  state: SearchState;
  nameOf: (userId: string) => string;
  onChoose: (message: ChatMessage) => void;
  onMore: () => void;
}

/**
 * The results of a message search, newest first: each a button with the sender, the time and the
 * text around the first match, every match marked (split text in `<mark>`, never HTML); then
 * "More results" while the server has more.
 */
export function SearchResults({ state, nameOf, onChoose, onMore }: SearchResultsProps) {
  const { t } = useWidget();
  if (state.results.length === 0) return null;
  const loadingMore = state.status === 'more';
  return (
    <ul class="message-search-results" aria-label={t('searchResults')}>
      {state.results.map((m) => (
        <li key={m.id}>
          <button type="button" class="message-search-result" onClick={() => onChoose(m)}>
            <span class="message-search-meta">
              <span class="message-search-from">{nameOf(m.senderId)}</span>
              <time dateTime={m.createdAt}>
                {new Date(m.createdAt).toLocaleString(t.locale, { dateStyle: 'medium', timeStyle: 'short' })}
              </time>
            </span>
            <span class="message-search-text">
              {matchParts(contentPreview(m.content, t), state.query).map((part, i) =>
                part.match ? <mark key={i}>{part.text}</mark> : part.text,
              )}
            </span>
          </button>
        </li>
      ))}
      {state.hasMore && (
        <li class="message-search-more">
          {/* aria-disabled, not disabled: the focus stays on the button while the page loads. */}
          <button type="button" class="small" aria-disabled={loadingMore} onClick={() => loadingMore || onMore()}>
            {loadingMore ? t('searching') : t('moreResults')}
          </button>
        </li>
      )}
    </ul>
  );
}
