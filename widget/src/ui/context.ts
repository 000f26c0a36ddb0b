import type { Signal } from '@preact/signals-core';
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { CallStarter } from '../chunk-api.js';
import type { ParleyClient } from '../core/client.js';
import { translator, type Translate } from '../i18n.js';
import type { ViewState } from './view-state.js';
import type { Theme } from '../theme.js';

export interface WidgetContext {
  client: ParleyClient;
  /** What is on screen: the panel, the chat in it, docked chats, drafts. */
  view: ViewState;
  locale: Signal<string>;
  theme: Signal<Theme>;
  /** Calls and direct transfers (loaded on demand). */
  calls: CallStarter;
  /** parley.js's launcher (focused again when the panel closes); null when the page hides it. */
  launcher: HTMLButtonElement | null;
}

export const Widget = createContext<WidgetContext | null>(null);

/** The client, the translator for the current locale, and the theme; re-renders when they change. */
export function useWidget(): WidgetContext & { t: Translate } {
  const value = useContext(Widget);
  if (!value) throw new Error('Parley UI rendered outside its provider');
  return { ...value, t: translator(value.locale.value) };
}
