/** A piece of a search result's text: a match of the query, or the text between matches. */
export interface TextPart {
  text: string;
  match: boolean;
}

/** Latin capitals lowered, nothing else: the length stays the same, so indexes carry over (as the server compares). */
const fold = (text: string) => text.replace(/[A-Z]/g, (c) => c.toLowerCase());
/** Where `query` (already folded) occurs in `text`, ignoring Latin case: a plain scan, no RegExp built from input. */
function occurrences(text: string, query: string): number[] {
  const folded = fold(text);
  const at: number[] = [];
  for (let i = folded.indexOf(query); i >= 0; i = folded.indexOf(query, i + query.length)) at.push(i);
  return at;
}
/** Not inside a surrogate pair: an index moved back onto the pair's first half. */
const whole = (text: string, at: number) => (/[\udc00-\udfff]/.test(text[at] ?? '') ? at - 1 : at);

/**
 * `text` split around each occurrence of `query`, ignoring case as the server does, for the result
 * list to highlight by rendering matches as `<mark>` elements: text stays text, never HTML. A
 * long text is cut to the part around its first match (`…` where it was cut), at most `max`
 * characters, with up to `before` characters ahead of the match.
 */
export function matchParts(text: string, query: string, max = 160, before = 40): TextPart[] {
  const q = fold(query.trim());
  const first = q ? (occurrences(text, q)[0] ?? 0) : 0;
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
  if (q) {
    for (const index of occurrences(shown, q)) {
      plain(shown.slice(at, index));
      parts.push({ text: shown.slice(index, index + q.length), match: true });
      at = index + q.length;
    }
  }
  plain(shown.slice(at));
  if (start > 0) parts.unshift({ text: '…', match: false });
  if (end < text.length) parts.push({ text: '…', match: false });
  return parts;
}
