// Importing @preact/signals makes components re-render when a signal they read changes.
// oxlint-disable-next-line import/no-unassigned-import -- imported for that effect
import '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import { ChatView } from './ChatView.js';
import { textDirection } from '../i18n.js';
import { useWidget } from './context.js';
import { Panel } from './Panel.js';

/** The chats docked beside the panel, and the panel; parley.js draws the launcher next to them. */
export function App() {
  const { client, view, launcher, t } = useWidget();
  const open = view.panelOpen.value;
  const docked = client.me.value ? view.docked.value : [];
  const wasOpen = useRef(open);

  // Focus goes back to the launcher when the panel closes (the panel focuses itself on open).
  useEffect(() => {
    if (wasOpen.current && !open) launcher?.focus();
    wasOpen.current = open;
  }, [open, launcher]);

  return (
    <>
      {docked.map((peerId) => (
        <section
          key={peerId}
          class="window"
          part="window"
          dir={textDirection(t.locale)}
          lang={t.locale}
          aria-label={
            client.roster.value.find((r) => r.user.id === peerId)?.user.displayName ??
            client.rooms.value.get(peerId.slice(5))?.name
          }
        >
          <ChatView peerId={peerId} docked />
        </section>
      ))}
      {open && <Panel />}
    </>
  );
}
