// Importing @preact/signals makes components re-render when a signal they read changes.
// oxlint-disable-next-line import/no-unassigned-import -- imported for that effect
import '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import { useAttention, useMentionAttention } from './attention.js';
import { ChatView } from './ChatView.js';
import { useWidget } from './context.js';
import { Launcher } from './Launcher.js';
import { Panel } from './Panel.js';

export function App() {
  const { client, hideLauncher } = useWidget();
  const open = client.panelOpen.value;
  const docked = client.me.value ? client.docked.value : [];
  const launcher = useRef<HTMLButtonElement>(null);
  const wasOpen = useRef(open);
  useAttention();
  useMentionAttention();

  // Focus goes back to the launcher when the panel closes (the panel focuses itself on open).
  useEffect(() => {
    if (wasOpen.current && !open) launcher.current?.focus();
    wasOpen.current = open;
  }, [open]);

  return (
    <div class="parley" part="container">
      <div class="windows">
        {docked.map((peerId) => (
          <section
            key={peerId}
            class="window"
            part="window"
            aria-label={
              client.roster.value.find((r) => r.user.id === peerId)?.user.displayName ??
              client.rooms.value.get(peerId.slice(5))?.name
            }
          >
            <ChatView peerId={peerId} docked />
          </section>
        ))}
        {open && <Panel />}
      </div>
      {!hideLauncher && <Launcher buttonRef={launcher} />}
    </div>
  );
}
