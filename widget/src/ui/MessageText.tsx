import type { ComponentChildren } from 'preact';

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"'`]+/gi;

/**
 * Message text as text: Preact renders strings as text nodes, never as HTML. Only http(s) URLs
 * become links, opened in a new tab without giving the page a handle on ours.
 */
export function MessageText({ text }: { text: string }) {
  const parts: ComponentChildren[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    let url = match[0];
    // Sentence punctuation after a link is not part of it.
    const trailing = /[.,;:!?)\]}]+$/.exec(url)?.[0] ?? '';
    url = url.slice(0, url.length - trailing.length);
    let href: string | null = null;
    try {
      const parsed = new URL(url);
      if (parsed.protocol === 'http:' || parsed.protocol === 'https:') href = parsed.href;
    } catch {
      href = null; // not a URL after all: it stays text
    }
    if (!href) continue;
    parts.push(text.slice(last, match.index));
    parts.push(
      <a href={href} target="_blank" rel="noopener noreferrer nofollow">
        {url}
      </a>,
    );
    last = match.index + url.length;
  }
  parts.push(text.slice(last));
  return <span class="body">{parts}</span>;
}
