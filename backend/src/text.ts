/**
 * `text` without the run of `chars` at its end: `withoutTrailing('a.b..', '.')` is `'a.b'`.
 * A loop rather than `/[…]+$/`, which backtracks quadratically on a long run that does not end the
 * string (regex-safety.test.ts keeps every pattern of the code linear).
 */
export function withoutTrailing(text: string, chars: string): string {
  let end = text.length;
  while (end > 0 && chars.includes(text[end - 1]!)) end--;
  return text.slice(0, end);
}
