/**
 * The core chunk, loaded by parley.js as soon as the visitor may be signed in (a stored session,
 * an identity token, `Parley('login')`) or wants the panel: the headless client (and with it
 * socket.io-client), the view state and the attention cues. Host events and the launcher's badge
 * work from here without the panel ever loading.
 */
import { batch, effect, signal } from '@preact/signals-core';
import type { Runtime, RuntimeModule, RuntimeOptions } from './chunk-api.js';
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
  client.start();
  const runtime: Runtime = {
    client,
    view,
    ...look,
    setLook(theme, locale) {
      batch(() => {
        look.theme.value = theme;
        look.locale.value = locale;
      });
    },
    stop() {
      stopLauncher();
      stopAttention();
      view.stop();
      client.disconnect();
    },
  };
  return runtime;
};
