import type { RoomRole } from '@parley/backend/protocol';
import { canDeleteForEveryone, canEdit, type ShownMessage } from '../core/client.js';
import { useWidget } from './context.js';
import { EditedMark } from './EditHistory.js';
import { MessageActions, type MessageActionHandlers } from './MessageActions.js';
import { MessageContent } from './MessageText.js';
import { Reactions } from './Reactions.js';
import { ReplyQuote } from './ReplyQuote.js';

/**
 * One message of the chat's list: who sent it (rooms), what it quotes, its content, reactions and
 * actions, and its line of marks: time, sent/delivered/read (one-to-one) or who has seen it (the
 * user's latest in a room), a mention of the user, edited, and Retry when it failed.
 */
export function MessageItem(props: {
  m: ShownMessage;
  peerId: string;
  inRoom: boolean;
  me: string | undefined;
  /** The user's role in the room, which may delete others' messages. */
  role: RoomRole | null;
  /** A jump's target: marked, and focusable for the jump to move the focus to it. */
  target: boolean;
  /** A sender's name in the room; '' for someone who left. */
  nameOf: (userId: string) => string;
  /** As nameOf, but "You" for the user and the peer's name in a one-to-one chat. */
  nameOrYou: (userId: string) => string;
  /** The message a reply quotes, if it is loaded (its quote then follows its edits). */
  original: ShownMessage | undefined;
  onJump: (messageId: string) => void;
  on: MessageActionHandlers;
  /** Sent, delivered, read, pending or failed: shown on the user's own messages. */
  mark: string;
  /** Room members who have seen this message (the user's latest only). */
  seenBy: readonly string[];
}) {
  const { client, t } = useWidget();
  const { m, peerId, inRoom, me, target } = props;
  const mine = m.senderId === me;
  const mentionsMe = !mine && !!me && (m.mentions?.includes(me) ?? false);
  return (
    <li
      class={`message ${mine ? 'mine' : 'theirs'} ${m.state}${mentionsMe ? ' mention' : ''}${target ? ' target' : ''}`}
      part="message"
      data-state={m.state}
      data-id={m.id ?? undefined}
      aria-current={target ? 'true' : undefined}
      tabIndex={target ? -1 : undefined}
    >
      {inRoom && !mine && (
        <span class="from" dir="auto">
          {props.nameOf(m.senderId)}
        </span>
      )}
      {m.replyTo && (
        <ReplyQuote
          reply={m.replyTo}
          name={props.nameOrYou(m.replyTo.senderId)}
          original={props.original}
          onJump={props.onJump}
        />
      )}
      <MessageContent content={m.content} conversation={peerId} />
      {m.reactions && <Reactions reactions={m.reactions} me={me} nameOf={props.nameOrYou} onToggle={props.on.react} />}
      {m.id && m.state === 'sent' && (
        <MessageActions
          message={m}
          me={me}
          editable={canEdit(m, me)}
          deletable={canDeleteForEveryone(m, me, props.role)}
          on={props.on}
        />
      )}
      <span class="meta">
        <time dateTime={m.createdAt}>
          {new Date(m.createdAt).toLocaleTimeString(t.locale, { hour: '2-digit', minute: '2-digit' })}
        </time>
        {mine && (!inRoom || m.state !== 'sent') && <span class="mark"> · {props.mark}</span>}
        {props.seenBy.length > 0 && <span class="mark"> · {t('seenBy', { names: props.seenBy.join(', ') })}</span>}
        {mentionsMe && <strong class="mark"> · {t('mentionedYou')}</strong>}
        {m.editedAt && m.content.kind !== 'deleted' && (
          <EditedMark editedAt={m.editedAt} mine={mine} load={() => client.edits(peerId, m.id!)} />
        )}
        {m.state === 'failed' && (
          <button type="button" class="link" onClick={() => client.retry(peerId, m.clientId)}>
            {t('retry')}
          </button>
        )}
      </span>
    </li>
  );
}
