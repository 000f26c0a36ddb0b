/** Helpers for showing links in message text safely. */
/** Sentence punctuation after a link is not part of it. */
const TRAILING = '.,;:!?)]}';

/** A loop, not `/[…]+$/`: that pattern backtracks quadratically on a long run of dots. */
export function withoutTrailing(text: string): string {
  let end = text.length;
  while (end > 0 && TRAILING.includes(text[end - 1]!)) end--;
  return text.slice(0, end);
}

/** Cyrillic and Greek letters that look like Latin ones. */
const LATIN_LOOKALIKES = /^[аеорсухіјѕԁһӏԛԝαοτνυ]+$/u;
const SCRIPTS = [
  /\p{Script=Latin}/u,
  /\p{Script=Cyrillic}/u,
  /\p{Script=Greek}/u,
  /\p{Script=Han}/u,
  /\p{Script=Arabic}/u,
];

/**
 * Whether a host should be shown as punycode, as browsers do: a label that mixes scripts
 * (`аpple` with a Cyrillic а) or is made only of letters that pass for Latin ones (`аррӏе`).
 */
export function deceptiveHost(host: string): boolean {
  return host.split('.').some((label) => {
    if (/^[\x00-\x7f]*$/.test(label)) return false;
    const letters = label.replace(/[\p{N}\p{Pd}]/gu, '');
    const used = SCRIPTS.filter((script) => script.test(letters)).length;
    const other = /[^\p{Script=Latin}\p{Script=Cyrillic}\p{Script=Greek}\p{Script=Han}\p{Script=Arabic}]/u.test(
      letters,
    );
    return used + (other ? 1 : 0) > 1 || LATIN_LOOKALIKES.test(letters);
  });
}

/** The host of an http(s) URL as it was typed (before the URL parser turns it to punycode). */
export function hostAsTyped(url: string): string {
  const authority = url.slice(url.indexOf('//') + 2).split(/[/?#]/, 1)[0]!;
  const host = authority.slice(authority.lastIndexOf('@') + 1);
  return host.startsWith('[') ? host : host.split(':', 1)[0]!;
}
