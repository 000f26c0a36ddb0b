/**
 * The launcher's three labels in each locale: all of the widget's words that parley.js carries.
 * The full tables (i18n.ts) load with the core and panel chunks, so the boot script does not grow
 * with every string and locale; i18n.test.ts checks that these match them.
 */
import { resolveLocale } from '../locale.js';

const words = {
  en: { openChat: 'Open chat', openChatUnread: 'Open chat, {n} unread', closeChat: 'Close chat' },
  'zh-CN': { openChat: '打开聊天', openChatUnread: '打开聊天，{n} 条未读', closeChat: '关闭聊天' },
  ar: { openChat: 'فتح الدردشة', openChatUnread: 'فتح الدردشة، غير المقروءة: {n}', closeChat: 'إغلاق الدردشة' },
} as const;

export type LauncherWord = keyof (typeof words)['en'];
export type LauncherTranslate = (key: LauncherWord, params?: { n: number }) => string;

/** One translator per resolved locale: the launcher is drawn on every unread count. */
const made = new Map<string, LauncherTranslate>();

/**
 * The launcher's words in `locale` (resolved first), counts formatted by Intl as i18n.ts does. The
 * same function for the same locale every time, so its number format is made once.
 */
export function launcherTranslator(locale: string): LauncherTranslate {
  const resolved = resolveLocale(locale) as keyof typeof words;
  let translate = made.get(resolved);
  if (!translate) made.set(resolved, (translate = translatorFor(resolved)));
  return translate;
}

function translatorFor(resolved: keyof typeof words): LauncherTranslate {
  const table = words[resolved] ?? words.en;
  // Made on the first count only: the first Intl object of a page loads the browser's locale data,
  // tens of milliseconds before the launcher's first frame (seen in Chromium's profile of a load),
  // and a launcher without unread messages shows no number.
  let numbers: Intl.NumberFormat | undefined;
  return (key, params) =>
    table[key].replace('{n}', params ? (numbers ??= new Intl.NumberFormat(resolved)).format(params.n) : '{n}');
}
