import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { roomIdOf, type ShownMessage } from '../core/client.js';
import { BuddyOptions } from './BuddyOptions.js';
import { callWords } from './call-log.js';
import { ChatHeader } from './ChatHeader.js';
import { Composer } from './Composer.js';
import { useWidget } from './context.js';
import { ImageOverlay } from './FileContent.js';
import { JumpBar } from './JumpBar.js';
import { MessageItem } from './MessageItem.js';
import { RoomMembers } from './RoomMembers.js';
import { SearchBar } from './SearchBar.js';
import { Slot } from './slots.js';
import { UploadBubble } from './UploadBubble.js';
import { useComposeMode } from './use-compose-mode.js';

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
  const list = useRef<HTMLOListElement>(null);
  const input = useRef<HTMLTextAreaElement>(null);
  const anchor = useRef<{ height: number; top: number } | null>(null);
  const atBottom = useRef(true);
  const uploads = client.uploads.value.filter((u) => u.key === peerId);
  const [dragging, setDragging] = useState(false);
  const dragDepth = useRef(0);
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
      <ChatHeader
        peerId={peerId}
        docked={docked}
        name={name}
        room={room}
        buddy={buddy}
        callable={callable !== null}
        onCall={(media) => {
          setCallProblem(false);
          calls.start(callable!, media).catch(failedToLoad);
        }}
        searching={searching}
        onSearch={() => setSearching(!searching)}
        searchButton={searchButton}
        details={details}
        onDetails={() => setDetails(!details)}
      />
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
            <MessageItem
              key={`${m.senderId}:${m.clientId}`}
              m={m}
              peerId={peerId}
              inRoom={!!room}
              me={me?.id}
              role={role}
              target={target}
              nameOf={nameOf}
              nameOrYou={nameOrYou}
              original={m.replyTo ? messages.find((o) => o.id === m.replyTo!.id) : undefined}
              onJump={jumpTo}
              on={compose.handlers(m)}
              mark={m.senderId === me?.id ? mark(m) : ''}
              seenBy={m === lastMine ? seenBy : []}
            />,
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
      <Composer
        peerId={peerId}
        name={name}
        draft={draft}
        setDraft={setDraft}
        input={input}
        compose={compose}
        nameOrYou={nameOrYou}
        onSend={send}
        onAttach={attach}
        onDirect={direct && ((file) => void calls.sendDirect(direct, file).catch(failedToLoad))}
        onRecorded={() => (atBottom.current = true)}
      />
    </div>
  );
}
