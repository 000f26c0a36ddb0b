import { describe, expect, it } from 'vitest';
import { deceptiveHost, hostAsTyped, withoutTrailing } from './links.js';

describe('finding 9: internationalised link hosts', () => {
  it('shows punycode for a host that mixes scripts or passes for Latin', () => {
    expect(deceptiveHost('аpple.com')).toBe(true); // Cyrillic а + Latin
    expect(deceptiveHost('аррӏе.com')).toBe(true); // all Cyrillic, all Latin look-alikes
    expect(deceptiveHost('pаypal.example')).toBe(true);
  });

  it('keeps honest hosts as typed', () => {
    expect(deceptiveHost('example.com')).toBe(false);
    expect(deceptiveHost('münchen.de')).toBe(false); // Latin with a diacritic is one script
    expect(deceptiveHost('президент.рф')).toBe(false); // whole-script Cyrillic, not look-alikes only
    expect(deceptiveHost('例子.中国')).toBe(false);
  });

  it('finds the host as typed', () => {
    expect(hostAsTyped('https://аpple.com/login?x=1')).toBe('аpple.com');
    expect(hostAsTyped('https://user@аpple.com:8443/')).toBe('аpple.com');
    expect(new URL('https://аpple.com/').hostname).toBe('xn--pple-43d.com');
  });
});

describe('link punctuation', () => {
  it('drops sentence punctuation after a link (a loop: regex-safety.test.ts checks the patterns)', () => {
    expect(withoutTrailing('https://a.example/x).')).toBe('https://a.example/x');
    const long = 'https://a.example/' + '.'.repeat(100_000) + 'a';
    expect(withoutTrailing(long)).toBe(long);
  });
});
