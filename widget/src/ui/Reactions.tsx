import type { Reaction } from '@parley/backend/protocol';
import { useWidget } from './context.js';

/**
 * A message's reactions as chips: emoji and count, pressed when the user is among them; a click
 * toggles the user's own. The title (and the accessible name) lists who reacted.
 */
export function Reactions({
  reactions,
  me,
  nameOf,
  onToggle,
}: {
  reactions: Reaction[];
  me: string | undefined;
  nameOf: (userId: string) => string;
  onToggle: (emoji: Reaction['emoji'], on: boolean) => void;
}) {
  const { t } = useWidget();
  if (reactions.length === 0) return null;
  return (
    <div class="reactions" role="group" aria-label={t('reactions')}>
      {reactions.map(({ emoji, userIds }) => {
        const mine = !!me && userIds.includes(me);
        const names = userIds.map((id) => (id === me ? t('youName') : nameOf(id) || '…')).join(', ');
        const label = t('reactionBy', { emoji, n: userIds.length, names });
        return (
          <button
            key={emoji}
            type="button"
            class="chip"
            aria-pressed={mine}
            aria-label={label}
            title={label}
            onClick={() => onToggle(emoji, !mine)}
          >
            <span aria-hidden="true">{emoji}</span> {userIds.length}
          </button>
        );
      })}
    </div>
  );
}
