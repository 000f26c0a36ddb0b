/**
 * The core chunk, loaded by parley.js as soon as the visitor may be signed in (a stored session,
 * an identity token, `Parley('login')`) or wants the panel: the headless client (and with it
 * socket.io-client), the view state and the attention cues. Host events and the launcher's badge
 * work from here without the panel ever loading.
 */
import { batch, effect, signal } from '@preact/signals-core';
import type { CallMedia, UserSummary } from '@parley/backend/protocol';
import type { Runtime, RuntimeModule, RuntimeOptions } from './chunk-api.js';
import type { Calls } from './call/calls.js';
import { callLine } from './core/call-line.js';
import { createClient } from './core/client.js';
import { translator } from './i18n.js';
import type { Theme } from './theme.js';
import { startAttention } from './ui/attention.js';
import { createViewState } from './ui/view-state.js';

export const startRuntime: RuntimeModule['startRuntime'] = ({
  theme,
  locale,
  onLauncher,
  ...options
}: RuntimeOptions) => {
  const client = createClient(options);
  const view = createViewState(client);
  const look = { theme: signal<Theme>(theme), locale: signal(locale) };
  const stopAttention = startAttention(client, view, () => translator(look.locale.value));
  const stopLauncher = effect(() => {
    let mentioned = false;
    for (const c of client.conversations.value.values()) mentioned ||= c.mentioned > 0;
    onLauncher({ unread: client.unreadTotal.value, mentioned, open: view.panelOpen.value });
  });
  // Calls: the core listens for them (the panel may be closed); their code is a chunk of its own,
  // loaded when the user starts a call or one rings.
  let calls: Promise<Calls> | null = null;
  const loadCalls = () => {
    calls ??= import('./call/calls.js').then(({ startCalls }) => {
      // parley.js mounts one widget per page: its host element carries data-parley.
      const root = document.querySelector('[data-parley]')?.shadowRoot;
      if (!root) throw new Error('the widget is not on the page');
      return startCalls({ line, locale: look.locale, root, upload: (key, file) => void client.attach(key, file) });
    });
    calls.catch((err: unknown) => {
      console.error('[Parley] the call code could not be loaded', err);
      calls = null;
    });
    return calls;
  };
  const line = client.use(callLine(() => void loadCalls()));
  client.start();
  const runtime: Runtime = {
    client,
    view,
    ...look,
    calls: {
      start: (peer: UserSummary, media: CallMedia) => loadCalls().then((c) => c.start(peer, media)),
      sendDirect: (peer: UserSummary, file: File) => loadCalls().then((c) => c.sendDirect(peer, file)),
    },
    setLook(theme, locale) {
      batch(() => {
        look.theme.value = theme;
        look.locale.value = locale;
      });
    },
    stop() {
      void calls?.then((c) => c.stop());
      stopLauncher();
      stopAttention();
      view.stop();
      client.disconnect();
    },
  };
  return runtime;
};
