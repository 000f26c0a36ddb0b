import type { CallMedia, RoomInfo, RosterEntry } from '@parley/backend/protocol';
import type { Ref } from 'preact';
import { Avatar } from './Avatar.js';
import { callWords } from './call-log.js';
import { useWidget } from './context.js';
import { Icon } from './Icon.js';
import { PresenceLabel } from './PresenceLabel.js';

/**
 * The chat's title bar: back (or close, when docked), who or which room, presence, and the
 * chat's buttons: search, calls (a buddy only), members or the buddy's options, side by side.
 * Icons, not words: with search and calls, the bar must leave room for the name.
 */
export function ChatHeader(props: {
  peerId: string;
  docked: boolean;
  name: string;
  room: RoomInfo | undefined;
  buddy: RosterEntry | undefined;
  /** A buddy who can be called from here (one-to-one, accepted): the call buttons show. */
  callable: boolean;
  onCall: (media: CallMedia) => void;
  searching: boolean;
  onSearch: () => void;
  searchButton: Ref<HTMLButtonElement>;
  /** Room members or the buddy's options shown under the bar. */
  details: boolean;
  onDetails: () => void;
}) {
  const { view, t } = useWidget();
  const { peerId, docked, name, room, buddy, callable, details } = props;
  const words = callWords(t.locale);
  return (
    <div class="chat-header">
      {docked ? null : (
        <button type="button" class="icon" aria-label={t('back')} onClick={() => view.open(null)}>
          ‹
        </button>
      )}
      {room ? (
        <span class="avatar room" aria-hidden="true">
          #
        </span>
      ) : (
        buddy && <Avatar user={buddy.user} />
      )}
      <span class="who">
        <span class="name" dir="auto">
          {name}
        </span>
        {buddy && <PresenceLabel presence={buddy.presence} />}
        {room && (
          <span class="presence">
            {t('onlineOf', {
              n: room.members.filter((m) => m.role !== 'invited' && m.presence.state !== 'offline').length,
              total: room.members.filter((m) => m.role !== 'invited').length,
            })}
          </span>
        )}
      </span>
      <button
        ref={props.searchButton}
        type="button"
        class="icon"
        aria-label={t('searchMessages')}
        title={t('searchMessages')}
        aria-expanded={props.searching}
        onClick={props.onSearch}
      >
        <Icon d="M10.5 4a6.5 6.5 0 1 0 0 13 6.5 6.5 0 0 0 0-13zM15.3 15.3 20 20" />
      </button>
      {callable &&
        (['audio', 'video'] as const).map((media) => (
          <button
            key={media}
            type="button"
            class="icon call-button"
            aria-label={words[media]}
            title={words[media]}
            onClick={() => props.onCall(media)}
          >
            <span aria-hidden="true">{media === 'audio' ? '📞' : '📹'}</span>
          </button>
        ))}
      {/* A room's members, or a buddy's options (group, remove, block): shown under the bar. */}
      {(room || buddy?.state === 'accepted') && (
        <button
          type="button"
          class="icon"
          aria-label={room ? t('members') : t('buddyOptions')}
          title={room ? t('members') : t('buddyOptions')}
          aria-expanded={details}
          onClick={props.onDetails}
        >
          {room ? (
            <Icon d="M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM2 21v-1a6 6 0 0 1 12 0v1M16 3.5a4 4 0 0 1 0 7.5M18 14a6 6 0 0 1 4 6v1" />
          ) : (
            <Icon
              filled
              d="M12 5.5a1.75 1.75 0 1 0 0-3.5 1.75 1.75 0 0 0 0 3.5zm0 8.25a1.75 1.75 0 1 0 0-3.5 1.75 1.75 0 0 0 0 3.5zM12 22a1.75 1.75 0 1 0 0-3.5 1.75 1.75 0 0 0 0 3.5z"
            />
          )}
        </button>
      )}
      {!docked && (
        <button type="button" class="icon wide-only" aria-label={t('openSideBySide')} onClick={() => view.dock(peerId)}>
          <Icon d="M9 4h11v11M15 9H4v11h11z" />
        </button>
      )}
      {docked && (
        <button type="button" class="icon" aria-label={t('closeWindow', { name })} onClick={() => view.undock(peerId)}>
          ×
        </button>
      )}
    </div>
  );
}
