import type { LauncherState } from '../chunk-api.js';
import type { Theme } from '../theme.js';
import type { LauncherTranslate } from './launcher-words.js';

const ICONS = {
  chat: 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z',
  help: 'M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm1 16h-2v-2h2v2zm2.1-7.7-.9.9c-.7.7-1.2 1.3-1.2 2.8h-2v-.5c0-1.1.4-2.1 1.2-2.8l1.2-1.3a1.9 1.9 0 1 0-3.3-1.3H8a4 4 0 1 1 7.1 2.2z',
  mail: 'M3 5h18a1 1 0 0 1 1 1v12a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1V6a1 1 0 0 1 1-1zm9 7 8-5H4l8 5zm0 2L4 9v8h16V9l-8 5z',
} as const;

export interface LauncherLook extends LauncherState {
  theme: Theme;
  t: LauncherTranslate;
}

/**
 * The launcher button, in plain DOM so that parley.js shows it without Preact or any chunk. Its
 * parts are made once and changed in place: a node replaced between mousedown and mouseup (a
 * theme change when a field of the page loses focus to the click) would swallow the click.
 */
export function createLauncher(): { button: HTMLButtonElement; draw(look: LauncherLook): void } {
  const button = document.createElement('button');
  button.type = 'button';
  button.setAttribute('part', 'launcher');
  const ns = 'http://www.w3.org/2000/svg';
  const icon = document.createElementNS(ns, 'svg');
  for (const [name, value] of [
    ['viewBox', '0 0 24 24'],
    ['width', '26'],
    ['height', '26'],
    ['aria-hidden', 'true'],
  ] as const)
    icon.setAttribute(name, value);
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('fill', 'currentColor');
  icon.append(path);
  const label = document.createElement('span');
  const badge = document.createElement('span');
  for (const span of [label, badge]) span.setAttribute('aria-hidden', 'true');
  const set = (node: Element, name: string, value: string) => {
    if (node.getAttribute(name) !== value) node.setAttribute(name, value);
  };
  const text = (node: Element, value: string) => {
    if (node.textContent !== value) node.textContent = value;
  };
  return {
    button,
    draw({ theme, t, unread, mentioned, open }) {
      const shape = theme.launcherIcon ?? 'chat';
      set(button, 'class', `launcher${theme.launcherLabel ? ' labelled' : ''}`);
      set(button, 'aria-expanded', String(open));
      set(button, 'aria-label', open ? t('closeChat') : unread ? t('openChatUnread', { n: unread }) : t('openChat'));
      if (shape !== 'none') set(path, 'd', ICONS[shape]);
      text(label, theme.launcherLabel ?? '');
      set(badge, 'class', `badge${mentioned ? ' mention' : ''}`);
      text(badge, `${mentioned ? '@ ' : ''}${unread > 99 ? '99+' : unread}`);
      const parts = [
        ...(shape !== 'none' ? [icon] : []),
        ...(theme.launcherLabel ? [label] : []),
        ...(unread > 0 ? [badge] : []),
      ];
      const current = [...button.childNodes];
      if (parts.length !== current.length || parts.some((node, i) => node !== current[i]))
        button.replaceChildren(...parts);
    },
  };
}
