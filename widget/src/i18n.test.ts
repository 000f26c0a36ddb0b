import { describe, expect, it } from 'vitest';
import { resolveLocale, textDirection, translator, type StringKey } from './i18n.js';
import { launcherTranslator } from './boot/launcher-words.js';
import { SUPPORTED_LOCALES } from './locale.js';
import { ar } from './locales/ar.js';

describe('finding 9: a locale named after an Object member', () => {
  it('resolves constructor, __proto__ and toString to English, not to Object’s members', () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      expect(resolveLocale(name)).toBe('en');
      const t = translator(name);
      expect(t.locale).toBe('en');
      // A real locale the browser's Intl accepts, so dates and sorting keep working.
      expect(() => new Intl.RelativeTimeFormat(t.locale)).not.toThrow();
    }
  });

  it('still finds the supported locales', () => {
    expect(resolveLocale('zh-CN')).toBe('zh-CN');
    expect(resolveLocale('zh-Hans-CN')).toBe('zh-CN');
    expect(resolveLocale('en-GB')).toBe('en');
  });
});

describe('Arabic and right to left', () => {
  it('resolves ar and its regional variants to the Arabic table', () => {
    for (const name of ['ar', 'ar-EG', 'ar_SA', 'AR-ma']) expect(resolveLocale(name)).toBe('ar');
    expect(translator('ar-EG')('send')).toBe('إرسال');
  });

  it('says which locales are written right to left, from Intl or the fallback list', () => {
    for (const name of ['ar', 'ar-EG', 'he', 'he-IL', 'fa', 'ur-PK', 'iw']) expect(textDirection(name)).toBe('rtl');
    for (const name of ['en', 'zh-CN', 'de', 'not a locale']) expect(textDirection(name)).toBe('ltr');
  });

  it('fills every key and keeps every {placeholder} (the compiler checks that no key is missing)', () => {
    const en = translator('en');
    for (const key of Object.keys(ar) as StringKey[]) {
      const text = translator('ar')(key);
      expect(text).toBe(ar[key]);
      expect(text, key).not.toBe('');
      const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect(placeholders(text), key).toEqual(placeholders(en(key)));
    }
  });

  it('writes numbers in the locale’s format through Intl', () => {
    expect(translator('en')('unread', { n: 1234 })).toBe('1,234 unread');
    expect(translator('ar')('unread', { n: 3 })).toBe(`غير المقروءة: ${new Intl.NumberFormat('ar').format(3)}`);
  });
});

describe('the launcher’s words in parley.js', () => {
  it('are the same as the tables’ in every locale', () => {
    for (const locale of SUPPORTED_LOCALES) {
      const t = translator(locale);
      const words = launcherTranslator(locale);
      for (const key of ['openChat', 'closeChat'] as const) expect(words(key), `${locale} ${key}`).toBe(t(key));
      expect(words('openChatUnread', { n: 12 })).toBe(t('openChatUnread', { n: 12 }));
    }
  });
});
