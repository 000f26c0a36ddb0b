import { useEffect, useRef, useState } from 'preact/hooks';
import { AuthForm } from './AuthForm.js';
import { BuddyList } from './BuddyList.js';
import { ChatView } from './ChatView.js';
import { textDirection } from '../i18n.js';
import { useWidget } from './context.js';
import { RecentList } from './RecentList.js';
import { StatusMenu } from './StatusMenu.js';

/** The main panel: sign-in, or the lists, or one chat. */
export function Panel() {
  const { client, view, t, theme } = useWidget();
  const status = client.status.value;
  const me = client.me.value;
  const peer = view.activePeer.value;
  const [tab, setTab] = useState<'buddies' | 'chats'>('buddies');
  const [menu, setMenu] = useState(false);
  const panel = useRef<HTMLElement>(null);
  const title = theme.value.title || t('title');

  useEffect(() => panel.current?.focus(), []);

  return (
    <section
      class="panel"
      part="panel"
      role="dialog"
      aria-label={title}
      // Mirrored for a right-to-left locale; user text inside sets its own direction (dir="auto").
      dir={textDirection(t.locale)}
      lang={t.locale}
      tabIndex={-1}
      ref={panel}
      onKeyDown={(e) => e.key === 'Escape' && view.close()}
    >
      <header class="panel-header" part="header">
        <h2 class="panel-title">{title}</h2>
        {me && (
          <button type="button" class="me" aria-expanded={menu} aria-label={t('menu')} onClick={() => setMenu(!menu)}>
            <span class={`dot ${client.myPresence.value.state}`} aria-hidden="true" />
            <span class="me-name" dir="auto">
              {me.displayName}
            </span>
          </button>
        )}
        <button type="button" class="icon" aria-label={t('closeChat')} onClick={() => view.close()}>
          ×
        </button>
      </header>
      {status === 'offline' && (
        <p class="banner" role="status">
          {t('offlineBanner')}
        </p>
      )}
      <ActionProblemBanner />
      {status === 'signed-out' ? (
        <AuthForm />
      ) : !me ? (
        <p class="empty" role="status">
          {t('connecting')}
        </p>
      ) : menu ? (
        <StatusMenu onDone={() => setMenu(false)} />
      ) : peer ? (
        // One view per conversation: opening another chat over this one (the host's openChat) must
        // not carry this one's scroll place, reply, edit, draft or open details into it.
        <ChatView key={peer} peerId={peer} />
      ) : (
        <>
          <div class="tabs" role="tablist">
            {(['buddies', 'chats'] as const).map((name) => (
              <button
                key={name}
                type="button"
                role="tab"
                aria-selected={tab === name}
                class="tab"
                onClick={() => setTab(name)}
              >
                {t(name)}
                {name === 'chats' && client.unreadTotal.value > 0 && (
                  <span class="badge">{client.unreadTotal.value}</span>
                )}
              </button>
            ))}
          </div>
          <div role="tabpanel" class="tab-body">
            {tab === 'buddies' ? <BuddyList /> : <RecentList />}
          </div>
        </>
      )}
    </section>
  );
}

/** An action the site wants signed was not allowed (no signer on the page, or it or the server said no). */
function ActionProblemBanner() {
  const { client, t } = useWidget();
  const problem = client.actionProblem.value;
  if (!problem) return null;
  const text =
    problem.kind === 'unsigned'
      ? t('actionUnsigned')
      : problem.detail
        ? t('actionDeniedBecause', { reason: problem.detail })
        : t('actionDenied');
  return (
    <p class="banner action-problem" role="alert">
      <span dir="auto">{text}</span>
      <button type="button" class="icon" aria-label={t('close')} onClick={() => client.dismissActionProblem()}>
        ×
      </button>
    </p>
  );
}
