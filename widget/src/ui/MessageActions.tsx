import { REACTIONS } from '@parley/backend/protocol/constants';
import type { ReactionEmoji } from '@parley/backend/protocol';
import { useEffect, useRef, useState } from 'preact/hooks';
import { canReact, type ShownMessage } from '../core/client.js';
import { useWidget } from './context.js';

export interface MessageActionHandlers {
  react(emoji: ReactionEmoji, on: boolean): void;
  reply(): void;
  edit(): void;
  remove(scope: 'everyone' | 'me'): void;
}

/**
 * A message's actions: a button (shown on hover and focus; always on touch screens, where a long
 * press on the message opens it too) and its menu: the reactions row, Reply, Edit, Delete for
 * everyone, Delete for me, Copy text. Arrow keys (and Tab) move through the menu; Escape, a choice
 * or a press elsewhere closes it, and focus returns to the button.
 */
export function MessageActions({
  message,
  me,
  editable,
  deletable,
  on,
}: {
  message: ShownMessage;
  me: string | undefined;
  /** Offer Edit (own text or caption, within the window). */
  editable: boolean;
  /** Offer Delete for everyone (own; room owners and admins: anyone's). */
  deletable: boolean;
  on: MessageActionHandlers;
}) {
  const { t } = useWidget();
  const [open, setOpen] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const deleted = message.content.kind === 'deleted';
  const text =
    message.content.kind === 'text'
      ? message.content.text
      : message.content.kind === 'file'
        ? message.content.text
        : '';
  const copy = text && typeof navigator !== 'undefined' && navigator.clipboard ? text : '';

  // A long press (touch) or a right click on the message opens the menu.
  useEffect(() => {
    const li = button.current?.closest('li');
    if (!li) return;
    const onContext = (e: Event) => {
      if ((e.target as Element).closest('a, .edit-history')) return; // links keep the browser's menu
      e.preventDefault();
      setOpen(true);
    };
    li.addEventListener('contextmenu', onContext);
    return () => li.removeEventListener('contextmenu', onContext);
  }, []);
  useEffect(() => {
    if (!open) return setConfirming(false);
    menu.current?.querySelector<HTMLElement>('[role^="menuitem"]')?.focus();
    // A press anywhere else closes it (Tab does not: every item stays reachable by keyboard).
    const onDown = (e: PointerEvent) => {
      if (box.current && !e.composedPath().includes(box.current)) setOpen(false);
    };
    document.addEventListener('pointerdown', onDown, true);
    return () => document.removeEventListener('pointerdown', onDown, true);
  }, [open]);

  const close = (refocus = true) => {
    setOpen(false);
    if (refocus) button.current?.focus();
  };
  const act = (run: () => void) => () => {
    close();
    run();
  };
  const onKeyDown = (e: KeyboardEvent) => {
    const items = [...(menu.current?.querySelectorAll<HTMLElement>('[role^="menuitem"]') ?? [])];
    const at = items.indexOf(e.target as HTMLElement);
    const step: Record<string, number> = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 };
    if (e.key === 'Escape') {
      e.stopPropagation();
      close();
    } else if (e.key in step) {
      e.preventDefault();
      items[(at + step[e.key]! + items.length) % items.length]?.focus();
    } else if (e.key === 'Home' || e.key === 'End') {
      e.preventDefault();
      items[e.key === 'Home' ? 0 : items.length - 1]?.focus();
    }
  };

  return (
    <div class="message-actions" ref={box}>
      <button
        ref={button}
        type="button"
        class="icon actions-button"
        aria-label={t('messageActions')}
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen(!open)}
      >
        ⋯
      </button>
      {open && (
        <div ref={menu} class="actions-menu" role="menu" aria-label={t('messageActions')} onKeyDown={onKeyDown}>
          {canReact(message) && (
            <div class="reaction-row" role="group" aria-label={t('react')}>
              {REACTIONS.map((emoji) => {
                const reacted = !!me && !!message.reactions?.some((r) => r.emoji === emoji && r.userIds.includes(me));
                return (
                  <button
                    key={emoji}
                    type="button"
                    role="menuitemcheckbox"
                    aria-checked={reacted}
                    aria-label={t('reactWith', { emoji })}
                    onClick={act(() => on.react(emoji, !reacted))}
                  >
                    {emoji}
                  </button>
                );
              })}
            </div>
          )}
          {!deleted && (
            <button type="button" role="menuitem" onClick={act(on.reply)}>
              {t('reply')}
            </button>
          )}
          {editable && (
            <button type="button" role="menuitem" onClick={act(on.edit)}>
              {t('edit')}
            </button>
          )}
          {deletable && (
            <button
              type="button"
              role="menuitem"
              class="danger"
              onClick={confirming ? act(() => on.remove('everyone')) : () => setConfirming(true)}
            >
              {confirming ? t('confirmDeleteForEveryone') : t('deleteForEveryone')}
            </button>
          )}
          <button type="button" role="menuitem" onClick={act(() => on.remove('me'))}>
            {t('deleteForMe')}
          </button>
          {copy && (
            <button type="button" role="menuitem" onClick={act(() => void navigator.clipboard.writeText(copy))}>
              {t('copyText')}
            </button>
          )}
        </div>
      )}
    </div>
  );
}
