import type { Ref } from 'preact';
import { useWidget } from './context.js';

const ICONS = {
  chat: 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z',
  help: 'M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm1 16h-2v-2h2v2zm2.1-7.7-.9.9c-.7.7-1.2 1.3-1.2 2.8h-2v-.5c0-1.1.4-2.1 1.2-2.8l1.2-1.3a1.9 1.9 0 1 0-3.3-1.3H8a4 4 0 1 1 7.1 2.2z',
  mail: 'M3 5h18a1 1 0 0 1 1 1v12a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1zm9 7 8-5H4l8 5zm0 2L4 9v8h16V9l-8 5z',
} as const;

export function Launcher({ buttonRef }: { buttonRef: Ref<HTMLButtonElement> }) {
  const { client, view, t, theme } = useWidget();
  const unread = client.unreadTotal.value;
  const mentioned = [...client.conversations.value.values()].some((c) => c.mentioned > 0);
  const open = view.panelOpen.value;
  const label = theme.value.launcherLabel;
  const icon = theme.value.launcherIcon ?? 'chat';
  return (
    <button
      ref={buttonRef}
      type="button"
      class={`launcher${label ? ' labelled' : ''}`}
      part="launcher"
      aria-expanded={open}
      aria-label={open ? t('closeChat') : unread ? t('openChatUnread', { n: unread }) : t('openChat')}
      onClick={() => (open ? view.close() : view.open())}
    >
      {icon !== 'none' && (
        <svg viewBox="0 0 24 24" width="26" height="26" aria-hidden="true">
          <path fill="currentColor" d={ICONS[icon]} />
        </svg>
      )}
      {label && <span aria-hidden="true">{label}</span>}
      {unread > 0 && (
        <span class={`badge${mentioned ? ' mention' : ''}`} aria-hidden="true">
          {mentioned ? '@ ' : ''}
          {unread > 99 ? '99+' : unread}
        </span>
      )}
    </button>
  );
}
