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

/** The launcher's words in `locale` (resolved first), counts formatted by Intl as i18n.ts does. */
export function launcherTranslator(locale: string): LauncherTranslate {
  const resolved = resolveLocale(locale) as keyof typeof words;
  const table = words[resolved] ?? words.en;
  const numbers = new Intl.NumberFormat(resolved);
  return (key, params) => table[key].replace('{n}', params ? numbers.format(params.n) : '{n}');
}
