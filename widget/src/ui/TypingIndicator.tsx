import { roomIdOf } from '../core/client.js';
import { useWidget } from './context.js';
import type { UiFeature } from './slots.js';

/** Who is typing in a chat: the peer, or the members of a room by name ("Kate, Jack are typing…"). */
export function TypingIndicator({ peerId }: { peerId: string }) {
  const { client, t } = useWidget();
  const room = client.rooms.value.get(roomIdOf(peerId) ?? '');
  const peer = client.roster.value.find((r) => r.user.id === peerId)?.user.displayName ?? '';
  const nameOf = (userId: string) =>
    room ? (room.members.find((m) => m.user.id === userId)?.user.displayName ?? '') : peer;
  const typers = (client.conversations.value.get(peerId)?.typing ?? []).map(nameOf).filter((n) => n !== '');
  if (typers.length === 0) return null;
  return (
    <li class="typing">
      <span role="status">
        {typers.length === 1 ? t('typing', { name: typers[0]! }) : t('typingSeveral', { names: typers.join(', ') })}
      </span>
    </li>
  );
}

/** The typing feature's UI half; its core half is core/typing.ts. */
export const typingUi: UiFeature = { 'chat.after-messages': TypingIndicator };
