import { useWidget } from './context.js';

/**
 * Under the messages of a chat after a jump (a search result, a reply's quote): the search for the
 * message while it loads, why it could not be shown, and, while older history is shown instead
 * of the newest messages, "Jump to latest" (with how many new messages wait there).
 */
export function JumpBar({ peerId, onLatest }: { peerId: string; onLatest: () => void }) {
  const { client, t } = useWidget();
  const jump = client.jumps.value.get(peerId);
  if (!jump || (!jump.window && !jump.opening && !jump.error)) return null;
  const unread = client.conversations.value.get(peerId)?.unread ?? 0;
  return (
    <div class="jump-bar">
      {jump.opening && <span role="status">{t('findingMessage')}</span>}
      {jump.error && (
        <span class="problem" role="alert">
          {t(jump.error === 'not_found' ? 'messageGone' : 'jumpFailed')}
        </span>
      )}
      {jump.window && (
        <button type="button" class="small primary" onClick={onLatest}>
          {unread > 0 ? t('jumpToLatestNew', { n: unread }) : t('jumpToLatest')}
          <span aria-hidden="true"> ↓</span>
        </button>
      )}
    </div>
  );
}
