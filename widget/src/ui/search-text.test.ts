import { describe, expect, it } from 'vitest';
import { matchParts } from './search-text.js';

const marked = (text: string, query: string, max?: number) =>
  matchParts(text, query, max)
    .map((p) => (p.match ? `[${p.text}]` : p.text))
    .join('');

describe('search result highlighting', () => {
  it('marks every occurrence, ignoring case, and keeps the text as typed', () => {
    expect(marked('Meet me at the Meeting point', 'meet')).toBe('[Meet] me at the [Meet]ing point');
  });

  it('finds a two-character Chinese word inside a sentence', () => {
    expect(marked('我们明天在图书馆见面吧', '见面')).toBe('我们明天在图书馆[见面]吧');
  });

  it('treats the query as text, not as a pattern or markup', () => {
    expect(marked('a+b=c? (yes) <b>bold</b>', '(yes)')).toBe('a+b=c? [(yes)] <b>bold</b>');
    expect(marked('price: $5.00', '.')).toBe('price: $5[.]00');
    expect(marked('<img src=x onerror=alert(1)>', '<img')).toBe('[<img] src=x onerror=alert(1)>');
  });

  it('shows the part of a long text around its first match, with ellipses where it was cut', () => {
    const text = `${'x'.repeat(500)} the needle is here ${'y'.repeat(500)}`;
    const shown = marked(text, 'needle', 100);
    expect(shown.startsWith('…')).toBe(true);
    expect(shown.endsWith('…')).toBe(true);
    expect(shown).toContain('[needle]');
    expect(shown.length).toBeLessThanOrEqual(100 + 2 + 2);
    // A match near the end still shows a full excerpt, not a few characters.
    expect(marked(`${'z'.repeat(300)} end`, 'end', 100)).toMatch(/^…z+ \[end\]$/);
  });

  it('never cuts an emoji in half', () => {
    const text = `${'😀'.repeat(100)}needle`;
    for (const part of matchParts(text, 'needle', 51))
      expect(part.text).not.toMatch(/^[\udc00-\udfff]|[\ud800-\udbff]$/);
  });

  it('shows the text unmarked when the query is blank', () => {
    expect(matchParts('hello', '  ')).toEqual([{ text: 'hello', match: false }]);
  });
});
