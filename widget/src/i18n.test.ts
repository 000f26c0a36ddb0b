import { describe, expect, it } from 'vitest';
import { resolveLocale, translator } from './i18n.js';

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
