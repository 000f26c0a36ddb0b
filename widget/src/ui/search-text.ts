/** A piece of a search result's text: a match of the query, or the text between matches. */
export interface TextPart {
  text: string;
  match: boolean;
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** Not inside a surrogate pair: an index moved back onto the pair's first half. */
const whole = (text: string, at: number) => (/[\udc00-\udfff]/.test(text[at] ?? '') ? at - 1 : at);

/**
 * `text` split around each occurrence of `query`, ignoring case as the server does, for the result
 * list to highlight by rendering matches as `<mark>` elements: text stays text, never HTML. A
 * long text is cut to the part around its first match (`…` where it was cut), at most `max`
 * characters, with up to `before` characters ahead of the match.
 */
export function matchParts(text: string, query: string, max = 160, before = 40): TextPart[] {
  const q = query.trim();
  const pattern = q ? new RegExp(escape(q), 'giu') : null;
  const first = pattern?.exec(text)?.index ?? 0;
  let start = 0;
  let end = text.length;
  if (text.length > max) {
    start = whole(text, Math.max(0, Math.min(first - before, text.length - max)));
    end = whole(text, Math.min(text.length, start + max));
  }
  const shown = text.slice(start, end);
  const parts: TextPart[] = [];
  const plain = (s: string) => s && parts.push({ text: s, match: false });
  let at = 0;
  if (pattern) {
    pattern.lastIndex = 0;
    for (let m = pattern.exec(shown); m; m = pattern.exec(shown)) {
      if (m[0] === '') break;
      plain(shown.slice(at, m.index));
      parts.push({ text: m[0], match: true });
      at = m.index + m[0].length;
    }
  }
  plain(shown.slice(at));
  if (start > 0) parts.unshift({ text: '…', match: false });
  if (end < text.length) parts.push({ text: '…', match: false });
  return parts;
}
