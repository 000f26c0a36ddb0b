/**
 * Which locale the widget speaks and which way it writes, without the string tables: parley.js
 * needs these for the launcher, and the tables (i18n.ts) load with the chunks.
 */
export const SUPPORTED_LOCALES = ['en', 'zh-CN', 'ar'] as const;

/** The supported locale closest to what was asked ("zh", "zh-Hans-CN" → "zh-CN"; "ar-EG" → "ar"; unknown → "en"). */
export function resolveLocale(requested: unknown): string {
  if (typeof requested !== 'string') return 'en';
  if ((SUPPORTED_LOCALES as readonly string[]).includes(requested)) return requested;
  const language = requested.toLowerCase().split(/[-_]/)[0];
  if (language === 'zh') return 'zh-CN';
  if (language === 'ar') return 'ar';
  return 'en';
}

/** Languages written right to left, for browsers whose Intl.Locale lacks `getTextInfo`. */
const RTL_LANGUAGES = new Set(['ar', 'arc', 'ckb', 'dv', 'fa', 'he', 'iw', 'ps', 'sd', 'syr', 'ug', 'ur', 'yi']);

/** "rtl" for a locale written right to left (Arabic, Hebrew, Persian…): the panel is mirrored. */
export function textDirection(locale: string): 'ltr' | 'rtl' {
  try {
    const info = new Intl.Locale(locale) as Intl.Locale & {
      getTextInfo?: () => { direction?: string };
      textInfo?: { direction?: string };
    };
    const direction = (info.getTextInfo?.() ?? info.textInfo)?.direction;
    if (direction === 'rtl' || direction === 'ltr') return direction;
  } catch {
    // not a locale Intl knows: the list below decides
  }
  return RTL_LANGUAGES.has(locale.toLowerCase().split(/[-_]/)[0]!) ? 'rtl' : 'ltr';
}
