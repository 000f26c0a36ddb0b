import { Limits } from '@parley/backend/protocol/constants';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { canDeleteForEveryone, canEdit, roomIdOf, type ShownMessage } from '../core/client.js';
import { Avatar } from './Avatar.js';
import { useWidget } from './context.js';
import { ImageOverlay } from './FileContent.js';
import { JumpBar } from './JumpBar.js';
import { MessageContent } from './MessageText.js';
import { UploadBubble } from './UploadBubble.js';
import { VoiceButton } from './VoiceButton.js';
import { PresenceLabel } from './PresenceLabel.js';
import { BuddyOptions } from './BuddyOptions.js';
import { callWords } from './call-log.js';
import { RoomMembers } from './RoomMembers.js';
import { SearchBar } from './SearchBar.js';
import { Slot } from './slots.js';
import { ComposerBanner, ReplyQuote } from './ReplyQuote.js';
import { Reactions } from './Reactions.js';
import { EditedMark } from './EditHistory.js';
import { MessageActions } from './MessageActions.js';
import { useComposeMode } from './use-compose-mode.js';

const EMOJI = '😀 😂 😊 😍 😎 🤔 😅 😢 😮 😴 👍 👎 👏 🙏 💪 👋 🎉 ❤️ 🔥 ✨ ✅ ❌ ⭐ ☕ 🍕 🎁 🚀 📎'.split(' ');

function dayLabel(iso: string, t: ReturnType<typeof useWidget>['t']): string {
  const day = new Date(iso);
  const today = new Date();
  const yesterday = new Date(today.getTime() - 86_400_000);
  const same = (a: Date, b: Date) => a.toDateString() === b.toDateString();
  if (same(day, today)) return t('today');
  if (same(day, yesterday)) return t('yesterday');
  return day.toLocaleDateString(t.locale, { weekday: 'long', month: 'long', day: 'numeric' });
}

/** One conversation or room: history (older pages load as you scroll up), marks, typing, composer. */
export function ChatView({ peerId, docked = false }: { peerId: string; docked?: boolean }) {
  const { client, view, calls, t } = useWidget();
  const buddy = client.roster.value.find((r) => r.user.id === peerId);
  const room = client.rooms.value.get(roomIdOf(peerId) ?? '');
  const conversation = client.conversations.value.get(peerId);
  const messages = conversation?.messages ?? [];
  const me = client.me.value;
  const name = room?.name ?? buddy?.user.displayName ?? '';
  const [details, setDetails] = useState(false);
  // Search, and a jump to a message: a window of older history shown instead of the newest messages.
  const [searching, setSearching] = useState(false);
  const searchButton = useRef<HTMLButtonElement>(null);
  const jump = client.jumps.value.get(peerId);
  const win = jump?.window ?? null;
  const shown: ShownMessage[] = win ? win.messages : messages;
  const scrolledTo = useRef(0);
  const nameOf = (userId: string) => room?.members.find((m) => m.user.id === userId)?.user.displayName ?? '';
  // Rooms: who has seen the user's latest message (shown under it, as group messengers do).
  const lastMine = room ? [...messages].reverse().find((m) => m.senderId === me?.id && m.id) : undefined;
  const seenBy = lastMine
    ? Object.entries(conversation?.seenBy ?? {})
        .filter(([, upTo]) => upTo >= lastMine.id!)
        .map(([id]) => nameOf(id))
        .filter((n) => n !== '')
    : [];
  const [draft, setDraft] = useState(() => view.takeDraft(peerId) ?? '');
  const [emoji, setEmoji] = useState(false);
  const list = useRef<HTMLOListElement>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  const anchor = useRef<{ height: number; top: number } | null>(null);
  const atBottom = useRef(true);
  const uploads = client.uploads.value.filter((u) => u.key === peerId);
  const [dragging, setDragging] = useState(false);
  const dragDepth = useRef(0);
  const picker = useRef<HTMLInputElement>(null);
  const [recording, setRecording] = useState(false);
  const directPicker = useRef<HTMLInputElement>(null);
  const [callProblem, setCallProblem] = useState(false);
  const words = callWords(t.locale);
  // Calls and direct transfers: one-to-one with a buddy (never in rooms); direct only while online.
  const callable = !room && buddy?.state === 'accepted' ? buddy.user : null;
  const direct = callable && buddy!.presence.state !== 'offline' ? callable : null;
  const compose = useComposeMode(peerId, setDraft, () => input.current?.focus());
  // In a one-to-one chat anyone but the user is the peer; in a room, a member (or no name: they left).
  const nameOrYou = (userId: string) => (userId === me?.id ? t('youName') : room ? nameOf(userId) : name);
  const role = room ? client.roleIn(room) : null;
  /** Jumps to a message (a reply's quote), however far back: loaded or not (core/jump.ts). */
  const jumpTo = (messageId: string) => void client.jumpTo(peerId, messageId);
  const failedToLoad = (err: unknown) => {
    console.error('[Parley] calls could not start', err);
    setCallProblem(true);
  };

  // A draft handed over by the host (openChat with { draft }) after this view was already open.
  const pendingDraft = view.drafts.value.get(peerId);
  useEffect(() => {
    if (pendingDraft !== undefined) setDraft(view.takeDraft(peerId) ?? '');
    // oxlint-disable-next-line react-hooks/exhaustive-deps -- only a new draft should fill the composer, not a change of peer
  }, [pendingDraft]);

  // In view: history, unread cleared, receipt sent. Again whenever new messages arrive, unless older
  // history is shown instead (they wait, unread, until the user jumps back to the latest).
  // oxlint-disable-next-line react-hooks/exhaustive-deps -- the client is one per widget and never changes
  useEffect(() => void (win || client.viewed(peerId)), [peerId, messages.length, !win]);
  // Closed or on another chat: no search, and back to the newest messages next time.
  useEffect(() => {
    setSearching(false);
    return () => client.jumpToLatest(peerId);
    // oxlint-disable-next-line react-hooks/exhaustive-deps -- the client is one per widget and never changes
  }, [peerId]);
  useEffect(() => input.current?.focus(), [peerId]);

  // Keep the reader's place: at the bottom for new messages, still when older ones are prepended.
  useLayoutEffect(() => {
    const el = list.current;
    if (!el) return;
    if (anchor.current) {
      el.scrollTop = el.scrollHeight - anchor.current.height + anchor.current.top;
      anchor.current = null;
    } else if (atBottom.current) {
      el.scrollTop = el.scrollHeight;
    }
  }, [shown.length, win, conversation?.typing, uploads.length]);

  // A jump: the target in the middle of the list, and the focus on it (once per jump).
  useLayoutEffect(() => {
    const el = list.current;
    if (!jump?.target) scrolledTo.current = 0;
    if (!el || !jump?.target || scrolledTo.current === jump.nonce) return;
    const item = [...el.children].find((c) => (c as HTMLElement).dataset.id === jump.target) as HTMLElement | undefined;
    if (!item) return;
    scrolledTo.current = jump.nonce;
    const at = item.getBoundingClientRect().top - el.getBoundingClientRect().top;
    el.scrollTop += at - (el.clientHeight - item.offsetHeight) / 2;
    item.focus({ preventScroll: true });
  });

  // Grow the composer with its text, up to a limit.
  useLayoutEffect(() => {
    const el = input.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 120)}px`;
  }, [draft]);

  /**
   * Set while the browser scrolls a newly focused control into view: moving the focus with Tab
   * through the messages must not page in more history (the list would grow under the
   * keyboard user's feet, and Tab would not reach the composer). Wheel, touch, the scrollbar and
   * the keys that scroll still page it.
   */
  const focusScroll = useRef(false);
  useEffect(() => {
    const el = list.current;
    if (!el) return;
    // Added by hand: Preact would register an `onFocusIn` prop as a "FocusIn" event, which never fires.
    const onFocusIn = () => {
      focusScroll.current = true;
      requestAnimationFrame(() => requestAnimationFrame(() => (focusScroll.current = false)));
    };
    el.addEventListener('focusin', onFocusIn);
    return () => el.removeEventListener('focusin', onFocusIn);
  }, []);

  const onScroll = () => {
    const el = list.current;
    if (!el) return;
    const below = el.scrollHeight - el.scrollTop - el.clientHeight;
    atBottom.current = !win && below < 40;
    if (focusScroll.current) return;
    if (win) {
      // A window of older history grows as the user scrolls to either end.
      if (el.scrollTop < 60 && win.hasOlder && !win.loading) {
        anchor.current = { height: el.scrollHeight, top: el.scrollTop };
        void client.pageWindow(peerId, 'older');
      } else if (below < 60 && win.hasNewer && !win.loading) void client.pageWindow(peerId, 'newer');
      return;
    }
    if (el.scrollTop < 60 && conversation?.hasMoreHistory && !conversation.loadingHistory) {
      anchor.current = { height: el.scrollHeight, top: el.scrollTop };
      void client.loadHistory(peerId, true);
    }
  };

  const toLatest = () => {
    atBottom.current = true;
    client.jumpToLatest(peerId);
  };

  const send = () => {
    if (!draft.trim()) return;
    // A message sent while older history is shown goes with the newest ones: show those.
    if (jump && !compose.editing) toLatest();
    if (!compose.submit(draft)) return;
    client.typing(peerId, false);
    if (!compose.editing) atBottom.current = true;
  };

  /** Files from the paperclip, a drop or a paste: each one uploads, then goes as a message. */
  const attach = (files: Iterable<File> | null | undefined) => {
    let any = false;
    for (const file of files ?? []) {
      client.attach(peerId, file);
      any = true;
    }
    if (any) atBottom.current = true;
    return any;
  };
  const carriesFiles = (e: DragEvent) => e.dataTransfer?.types.includes('Files') ?? false;

  const mark = (m: ShownMessage): string => {
    if (m.state === 'pending') return t('pending');
    if (m.state === 'failed') return t('failed', { reason: m.error ?? '' });
    if (m.id && conversation?.peerReadUpTo && m.id <= conversation.peerReadUpTo) return t('read');
    if (m.id && conversation?.peerDeliveredUpTo && m.id <= conversation.peerDeliveredUpTo) return t('delivered');
    return t('sent');
  };

  let lastDay = '';
  return (
    <div
      class="chat"
      onDragEnter={(e) => {
        if (!carriesFiles(e)) return;
        dragDepth.current++;
        setDragging(true);
      }}
      onDragOver={(e) => {
        if (!carriesFiles(e)) return;
        e.preventDefault(); // lets the drop happen
        if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
      }}
      onDragLeave={(e) => {
        if (!carriesFiles(e)) return;
        dragDepth.current = Math.max(0, dragDepth.current - 1);
        if (dragDepth.current === 0) setDragging(false);
      }}
      onDrop={(e) => {
        if (!carriesFiles(e)) return;
        e.preventDefault();
        dragDepth.current = 0;
        setDragging(false);
        attach(e.dataTransfer?.files);
      }}
    >
      {dragging && (
        <div class="drop-target" aria-hidden="true">
          <span>{t('dropFiles', { name })}</span>
        </div>
      )}
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
          ref={searchButton}
          type="button"
          class="icon"
          aria-label={t('searchMessages')}
          title={t('searchMessages')}
          aria-expanded={searching}
          onClick={() => setSearching(!searching)}
        >
          <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
            <path
              fill="none"
              stroke="currentColor"
              stroke-width="2"
              d="M10.5 4a6.5 6.5 0 1 0 0 13 6.5 6.5 0 0 0 0-13zM15.3 15.3 20 20"
            />
          </svg>
        </button>
        {callable && (
          <>
            <button
              type="button"
              class="icon call-button"
              aria-label={words.audio}
              title={words.audio}
              onClick={() => {
                setCallProblem(false);
                calls.start(callable, 'audio').catch(failedToLoad);
              }}
            >
              <span aria-hidden="true">📞</span>
            </button>
            <button
              type="button"
              class="icon call-button"
              aria-label={words.video}
              title={words.video}
              onClick={() => {
                setCallProblem(false);
                calls.start(callable, 'video').catch(failedToLoad);
              }}
            >
              <span aria-hidden="true">📹</span>
            </button>
          </>
        )}
        {/* Icons, not words: with search and calls, the header must leave room for the name. */}
        {room && (
          <button
            type="button"
            class="icon"
            aria-label={t('members')}
            title={t('members')}
            aria-expanded={details}
            onClick={() => setDetails(!details)}
          >
            <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
              <path
                fill="none"
                stroke="currentColor"
                stroke-width="2"
                d="M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM2 21v-1a6 6 0 0 1 12 0v1M16 3.5a4 4 0 0 1 0 7.5M18 14a6 6 0 0 1 4 6v1"
              />
            </svg>
          </button>
        )}
        {buddy?.state === 'accepted' && (
          <button
            type="button"
            class="icon"
            aria-label={t('buddyOptions')}
            title={t('buddyOptions')}
            aria-expanded={details}
            onClick={() => setDetails(!details)}
          >
            <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
              <path
                fill="currentColor"
                d="M12 5.5a1.75 1.75 0 1 0 0-3.5 1.75 1.75 0 0 0 0 3.5zm0 8.25a1.75 1.75 0 1 0 0-3.5 1.75 1.75 0 0 0 0 3.5zM12 22a1.75 1.75 0 1 0 0-3.5 1.75 1.75 0 0 0 0 3.5z"
              />
            </svg>
          </button>
        )}
        {!docked && (
          <button
            type="button"
            class="icon wide-only"
            aria-label={t('openSideBySide')}
            onClick={() => view.dock(peerId)}
          >
            <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
              <path fill="none" stroke="currentColor" stroke-width="2" d="M9 4h11v11M15 9H4v11h11z" />
            </svg>
          </button>
        )}
        {docked && (
          <button
            type="button"
            class="icon"
            aria-label={t('closeWindow', { name })}
            onClick={() => view.undock(peerId)}
          >
            ×
          </button>
        )}
      </div>
      {searching && (
        <SearchBar
          peerId={peerId}
          nameOf={(id) => (id === me?.id ? t('youSender') : room ? nameOf(id) : name)}
          onClose={(refocus) => {
            setSearching(false);
            if (refocus) searchButton.current?.focus();
          }}
        />
      )}
      {callProblem && (
        <p class="problem" role="alert">
          {words.callsUnavailable}
        </p>
      )}
      {room && details && <RoomMembers room={room} />}
      {buddy?.state === 'accepted' && details && <BuddyOptions entry={buddy} />}
      <ol
        class="messages"
        ref={list}
        onScroll={onScroll}
        // A scrolling region: keyboard users scroll it with the arrow keys once it has focus.
        tabIndex={0}
        aria-label={t('messages', { name })}
        // Older history shown after a jump: its pages are not news.
        aria-live={win ? 'off' : 'polite'}
        aria-relevant="additions"
      >
        {(win ? win.loading === 'older' : conversation?.loadingHistory && conversation.historyLoaded) && (
          <li class="more">
            <span role="status">{t('loadingOlder')}</span>
          </li>
        )}
        {shown.length === 0 && conversation?.historyLoaded && <li class="empty">{t('noMessages')}</li>}
        {shown.flatMap((m) => {
          const day = new Date(m.createdAt).toDateString();
          const mine = m.senderId === me?.id;
          const mentionsMe = !mine && !!me && (m.mentions?.includes(me.id) ?? false);
          const target = m.id !== null && m.id === jump?.target;
          const out = [];
          if (day !== lastDay) {
            lastDay = day;
            out.push(
              <li key={`day-${day}`} class="day">
                {dayLabel(m.createdAt, t)}
              </li>,
            );
          }
          out.push(
            <li
              key={`${m.senderId}:${m.clientId}`}
              class={`message ${mine ? 'mine' : 'theirs'} ${m.state}${mentionsMe ? ' mention' : ''}${target ? ' target' : ''}`}
              part="message"
              data-state={m.state}
              data-id={m.id ?? undefined}
              aria-current={target ? 'true' : undefined}
              tabIndex={target ? -1 : undefined}
            >
              {room && !mine && (
                <span class="from" dir="auto">
                  {nameOf(m.senderId)}
                </span>
              )}
              {m.replyTo && (
                <ReplyQuote
                  reply={m.replyTo}
                  name={nameOrYou(m.replyTo.senderId)}
                  original={messages.find((o) => o.id === m.replyTo!.id)}
                  onJump={jumpTo}
                />
              )}
              <MessageContent content={m.content} conversation={peerId} />
              {m.reactions && (
                <Reactions
                  reactions={m.reactions}
                  me={me?.id}
                  nameOf={nameOrYou}
                  onToggle={compose.handlers(m).react}
                />
              )}
              {m.id && m.state === 'sent' && (
                <MessageActions
                  message={m}
                  me={me?.id}
                  editable={canEdit(m, me?.id)}
                  deletable={canDeleteForEveryone(m, me?.id, role)}
                  on={compose.handlers(m)}
                />
              )}
              <span class="meta">
                <time dateTime={m.createdAt}>
                  {new Date(m.createdAt).toLocaleTimeString(t.locale, { hour: '2-digit', minute: '2-digit' })}
                </time>
                {mine && !room && <span class="mark"> · {mark(m)}</span>}
                {mine && room && m.state !== 'sent' && <span class="mark"> · {mark(m)}</span>}
                {m === lastMine && seenBy.length > 0 && (
                  <span class="mark"> · {t('seenBy', { names: seenBy.join(', ') })}</span>
                )}
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
            </li>,
          );
          return out;
        })}
        {win?.loading === 'newer' && (
          <li class="more">
            <span role="status">{t('loadingNewer')}</span>
          </li>
        )}
        {!win && uploads.map((u) => <UploadBubble key={u.id} upload={u} />)}
        {!win && <Slot name="chat.after-messages" peerId={peerId} />}
      </ol>
      <JumpBar
        peerId={peerId}
        onLatest={() => {
          toLatest();
          input.current?.focus();
        }}
      />
      <ImageOverlay conversation={peerId} />
      {emoji && (
        <div class="emoji" role="group" aria-label={t('emoji')}>
          {EMOJI.map((e) => (
            <button
              key={e}
              type="button"
              aria-label={e}
              onClick={() => {
                setDraft(draft + e);
                setEmoji(false);
                input.current?.focus();
              }}
            >
              {e}
            </button>
          ))}
        </div>
      )}
      {compose.problem && (
        <p class="problem" role="alert">
          {compose.problem}
        </p>
      )}
      {compose.replying && (
        <ComposerBanner
          label={t('replyingTo', { name: nameOrYou(compose.replying.senderId) })}
          reply={compose.quote!}
          original={compose.replying}
          cancelLabel={t('cancelReply')}
          onCancel={compose.cancel}
        />
      )}
      {compose.editing && (
        <ComposerBanner label={t('editing')} cancelLabel={t('cancelEditing')} onCancel={compose.cancel} />
      )}
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault();
          send();
        }}
      >
        {!recording && (
          <>
            <button
              type="button"
              class="icon"
              aria-label={t('emoji')}
              aria-expanded={emoji}
              onClick={() => setEmoji(!emoji)}
            >
              ☺
            </button>
            <button type="button" class="icon" aria-label={t('attachFile')} onClick={() => picker.current?.click()}>
              <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
                <path
                  fill="none"
                  stroke="currentColor"
                  stroke-width="2"
                  d="M20 11.5 12.4 19a5 5 0 0 1-7-7l8-8a3.3 3.3 0 0 1 4.7 4.7l-8 8a1.7 1.7 0 0 1-2.4-2.4l7.4-7.3"
                />
              </svg>
            </button>
            {direct && (
              <>
                <button
                  type="button"
                  class="icon"
                  aria-label={words.sendDirect}
                  title={words.sendDirect}
                  onClick={() => directPicker.current?.click()}
                >
                  <span aria-hidden="true">⇄</span>
                </button>
                <input
                  ref={directPicker}
                  type="file"
                  hidden
                  tabIndex={-1}
                  aria-hidden="true"
                  data-direct=""
                  onChange={(e) => {
                    const file = e.currentTarget.files?.[0];
                    e.currentTarget.value = '';
                    if (file) calls.sendDirect(direct, file).catch(failedToLoad);
                  }}
                />
              </>
            )}
            <input
              ref={picker}
              type="file"
              multiple
              hidden
              tabIndex={-1}
              aria-hidden="true"
              onChange={(e) => {
                attach(e.currentTarget.files);
                e.currentTarget.value = ''; // the same file may be picked again
              }}
            />
            <textarea
              ref={input}
              aria-label={t('messageTo', { name })}
              rows={1}
              maxLength={Limits.messageBody}
              value={draft}
              onInput={(e) => {
                setDraft(e.currentTarget.value);
                client.typing(peerId, e.currentTarget.value.length > 0);
              }}
              onBlur={() => client.typing(peerId, false)}
              onPaste={(e) => {
                // An image (or any file) pasted into the box is attached. Not when the clipboard
                // also holds text: office apps put a picture of copied text beside the text itself.
                const data = e.clipboardData;
                if (!data || data.types.includes('text/plain')) return;
                if (attach(data.files)) e.preventDefault();
              }}
              onKeyDown={(e) => {
                if (e.key === 'Escape' && (compose.editing || compose.replying)) {
                  e.preventDefault();
                  e.stopPropagation();
                  compose.cancel();
                }
                if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
                  e.preventDefault();
                  send();
                }
              }}
            />
          </>
        )}
        {/* One button where the thumb is: the microphone while there is nothing to send, Send once there is. */}
        {recording || (!draft.trim() && !compose.editing) ? (
          <VoiceButton
            peerId={peerId}
            onRecording={(on) => {
              setRecording(on);
              if (on) setEmoji(false);
              else atBottom.current = true;
            }}
          />
        ) : (
          <button type="submit" class="primary" disabled={!draft.trim()}>
            {compose.editing ? t('save') : t('send')}
          </button>
        )}
      </form>
    </div>
  );
}
